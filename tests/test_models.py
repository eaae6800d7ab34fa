"""Model folders: any local HF audio classifier loads through one path; unsafe or broken ones are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import (
    ASTConfig,
    ASTFeatureExtractor,
    ASTForAudioClassification,
    Wav2Vec2Config,
    Wav2Vec2FeatureExtractor,
    Wav2Vec2ForSequenceClassification,
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperForAudioClassification,
)

from core.models.backend import TorchBackend, pick_device
from core.models.registry import ModelError, inspect_folder, resolve
from core.runs.options import TagOptions
from core.runs.tasks.tags import TagRun
from core.store import Store
from tests.audio_factory import chords, write

LABELS = {0: "speech", 1: "music", 2: "noise"}


def _save(model: torch.nn.Module, extractor, folder: Path) -> Path:
    torch.manual_seed(0)
    model.eval().save_pretrained(folder, safe_serialization=True)
    extractor.save_pretrained(folder)
    return folder


def tiny_ast(folder: Path) -> Path:
    config = ASTConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        max_length=128, num_mel_bins=32, id2label=LABELS, label2id={v: k for k, v in LABELS.items()},
    )  # fmt: skip
    return _save(ASTForAudioClassification(config), ASTFeatureExtractor(num_mel_bins=32, max_length=128), folder)


def tiny_wav2vec2(folder: Path) -> Path:
    config = Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 8), num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2, classifier_proj_size=16,
        id2label=LABELS, label2id={v: k for k, v in LABELS.items()},
    )  # fmt: skip
    return _save(Wav2Vec2ForSequenceClassification(config), Wav2Vec2FeatureExtractor(), folder)


def tiny_whisper(folder: Path) -> Path:
    config = WhisperConfig(
        d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
        encoder_ffn_dim=64, decoder_ffn_dim=64, num_mel_bins=80, max_source_positions=1500,
        id2label=LABELS, label2id={v: k for k, v in LABELS.items()},
    )  # fmt: skip
    return _save(WhisperForAudioClassification(config), WhisperFeatureExtractor(), folder)


@pytest.mark.parametrize("build", [tiny_ast, tiny_wav2vec2, tiny_whisper], ids=["ast", "wav2vec2", "whisper"])
def test_hugging_face_folders_tag_through_the_same_pipeline(build, tmp_path: Path) -> None:
    folder = build(tmp_path / "model")
    write(tmp_path / "lib" / "a.wav", chords(12.0, 16000), 16000)
    write(tmp_path / "lib" / "b.flac", chords(3.0, 44100, seed=1), 44100)
    backend = TorchBackend(resolve(str(folder)), device="cpu")
    with Store(tmp_path / "db.sqlite") as store:
        summary = TagRun(backend, store, TagOptions(segment_seconds=30.0)).run([tmp_path / "lib"])
        results = store.results("model", top_k=0)
    assert summary.tagged == 2 and summary.failed == 0
    for row in results:
        assert sorted(i.label for i in row.labels) == sorted(LABELS.values())
        # single-label models are softmaxed: the scores of a file sum to one
        assert sum(i.score for i in row.labels) == pytest.approx(1.0, abs=1e-4)


def test_clip_windows_cover_the_tail(tmp_path: Path) -> None:
    backend = TorchBackend(resolve(str(tiny_wav2vec2(tmp_path / "w2v"))), device="cpu")
    assert backend.windowing.window_seconds == 10.0
    features = backend.preprocess(np.zeros(16000 * 25, dtype=np.float32))
    assert len(features["input_values"]) == 3  # 0-10, 10-20 and the last 10 s (15-25)


def _folder(tmp_path: Path, config: dict | str | None, files: tuple[str, ...] = ("model.safetensors",)) -> Path:
    folder = tmp_path / "m"
    folder.mkdir()
    if config is not None:
        (folder / "config.json").write_text(config if isinstance(config, str) else json.dumps(config))
    for name in files:
        (folder / name).write_bytes(b"weights")
    return folder


AUDIO_CONFIG = {"model_type": "wav2vec2", "id2label": {"0": "a", "1": "b"}}
LOADABLE = ("model.safetensors", "preprocessor_config.json")


@pytest.mark.parametrize(
    ("config", "files", "reason"),
    [
        (None, ("model.safetensors",), "no config.json"),
        ("{not json", ("model.safetensors",), "not valid JSON"),
        (AUDIO_CONFIG, ("pytorch_model.bin", "preprocessor_config.json"), "pickle-based format"),
        (AUDIO_CONFIG, ("preprocessor_config.json",), "no model.safetensors"),
        (AUDIO_CONFIG, ("model.safetensors",), "no preprocessor_config.json"),
        ({**AUDIO_CONFIG, "auto_map": {"AutoModel": "x.Y"}}, ("model.safetensors",), "custom code"),
        ({"model_type": "bert", "id2label": {"0": "a"}}, LOADABLE, "not an audio"),
        ({"model_type": "wav2vec2"}, LOADABLE, "names no labels"),
    ],
)
def test_bad_model_folders_are_refused_with_the_reason(tmp_path: Path, config, files, reason: str) -> None:
    with pytest.raises(ModelError, match=reason):
        inspect_folder(_folder(tmp_path, config, files))


def test_unknown_names_and_hub_ids_are_refused_without_network() -> None:
    with pytest.raises(ModelError, match="no model 'MIT/ast-finetuned-audioset-10-10-0.4593'.*musicnn-msd"):
        resolve("MIT/ast-finetuned-audioset-10-10-0.4593")


def test_an_installed_name_wins_over_a_same_named_data_folder_in_the_working_directory(
    earmark_home: Path, tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`earmark train calls --out calls` then `earmark tag --model calls` from the same directory."""
    name = "calls-name-clash"
    installed = earmark_home / "models" / name
    shutil.copytree(tiny_model, installed, dirs_exist_ok=True)
    (tmp_path / name / "billing").mkdir(parents=True)  # the training data, not a model
    monkeypatch.chdir(tmp_path)
    assert resolve(name).path == installed
    with pytest.raises(ModelError, match="no config.json"):
        resolve(f"./{name}")  # an explicit path still means the folder


def test_cuda_without_a_gpu_is_a_clear_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert pick_device("auto").type == "cpu"
    with pytest.raises(ModelError, match="no CUDA GPU"):
        pick_device("cuda")


def test_builtin_models_convert_once_and_report_groups(earmark_home: Path) -> None:
    info = resolve("musicnn-mtt")
    assert info.path == earmark_home / "models" / "musicnn-mtt"
    assert info.builtin and "ISC" in (info.licence or "")
    assert {"classical", "techno"} <= set(info.group("genre"))
    stamp = (info.path / "model.safetensors").stat().st_mtime_ns
    assert resolve("musicnn-mtt").version == info.version
    assert (info.path / "model.safetensors").stat().st_mtime_ns == stamp  # not converted again
    with pytest.raises(ModelError, match="no label group 'tempo'"):
        info.group("tempo")


def test_the_architecture_table_read_without_importing_transformers_is_transformers_own() -> None:
    """Checking a folder must not cost a transformers import (seconds), nor drift from its table."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES

    from core.models.architectures import _read_table

    source = Path(__import__("transformers").__file__).parent / "models" / "auto" / "modeling_auto.py"
    assert _read_table(source) == frozenset(MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES)


def test_the_merged_default_is_never_offered_as_a_base_to_fine_tune() -> None:
    from core.models.catalog import DEFAULT_MODEL, base_names

    assert DEFAULT_MODEL == "musicnn-merged" and DEFAULT_MODEL not in base_names()
    assert {"musicnn-msd", "musicnn-mtt", "whisper-tiny-en"} <= set(base_names())
