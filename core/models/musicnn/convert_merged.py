"""Build ``musicnn-merged`` from the two TensorFlow checkpoints of the ``musicnn`` wheel.

Each member is converted exactly as ``musicnn-msd`` and ``musicnn-mtt`` are
(:func:`~.convert_musicnn.build_from_tf`), then both are saved in one folder with the merged
vocabulary, so the merged model's per-tag scores are those of the two ported models.
"""

from __future__ import annotations

from pathlib import Path

from ..catalog import BUILTINS
from .convert_musicnn import CHECKPOINTS, LICENCE, MusicnnCheckpoint, build_from_tf, packaged_checkpoint_dir
from .feature_extraction_musicnn import MusicnnFeatureExtractor
from .modeling_merged import MusicnnMergedConfig, MusicnnMergedForAudioClassification
from .vocabulary import MSD, MTT, groups, labels, sources

NAME = "musicnn-merged"
MEMBERS: dict[str, MusicnnCheckpoint] = {MSD: CHECKPOINTS["musicnn-msd"], MTT: CHECKPOINTS["musicnn-mtt"]}


def build() -> MusicnnMergedForAudioClassification:
    """The merged model with both members' ported weights, in eval mode."""
    names = labels()
    config = MusicnnMergedConfig(
        member_labels={member: checkpoint.labels for member, checkpoint in MEMBERS.items()},
        sources=sources(),
        id2label=dict(enumerate(names)),
        label2id={label: i for i, label in enumerate(names)},
        label_groups=groups(),
        licence=LICENCE,
    )
    model = MusicnnMergedForAudioClassification(config)
    for member, checkpoint in MEMBERS.items():
        member_model = build_from_tf(checkpoint, packaged_checkpoint_dir(checkpoint.folder))
        model.members[member].load_state_dict(member_model.state_dict(), strict=True)
    return model.eval()


def convert(out_dir: Path) -> Path:
    """Write the ``musicnn-merged`` model folder into ``out_dir`` (created if needed)."""
    model = build()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    MusicnnFeatureExtractor().save_pretrained(out_dir)
    (out_dir / "README.md").write_text(
        f"# {NAME}\n\n{BUILTINS[NAME].description}.\n\n"
        "Converted by Earmark from the `MSD_musicnn` and `MTT_musicnn` checkpoints of the `musicnn` wheel; "
        "the merge rule is described in `core/models/musicnn/vocabulary.py`.\n\n"
        f"Licence: {LICENCE}.\n",
        encoding="utf-8",
    )
    return out_dir
