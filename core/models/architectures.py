"""Which ``model_type`` values Earmark can classify audio with: musicnn (alone or merged), and transformers' own table.

Importing transformers costs seconds (it imports torch), which a rerun over an unchanged library
must not pay just to check a model folder. Its table of audio-classification architectures is a
literal in ``modeling_auto.py``, so it is read from that source file when transformers has not been
imported yet; when it has (or the file's layout changed), the live table is used.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from functools import cache
from pathlib import Path

MUSICNN = "musicnn"
MUSICNN_TYPES = frozenset({MUSICNN, "musicnn_merged"})  # Earmark's own architectures (core.models.musicnn)
_TABLE = "MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES"
_MODULE = "transformers.models.auto.modeling_auto"


def _read_table(source: Path) -> frozenset[str] | None:
    """The table's keys, read from the source without running it; None if it is not found as a literal."""
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == _TABLE for t in node.targets):
            try:
                pairs = ast.literal_eval(node.value.args[0])  # OrderedDict([(type, class), ...])
            except (AttributeError, IndexError, ValueError):
                return None
            return frozenset(model_type for model_type, _class in pairs)
    return None


@cache
def audio_classification_types() -> frozenset[str]:
    if _MODULE not in sys.modules:
        spec = importlib.util.find_spec("transformers")
        if spec is not None and spec.submodule_search_locations:
            source = Path(spec.submodule_search_locations[0]) / "models" / "auto" / "modeling_auto.py"
            table = _read_table(source) if source.is_file() else None
            if table:
                return table | MUSICNN_TYPES
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES

    return frozenset(MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES) | MUSICNN_TYPES
