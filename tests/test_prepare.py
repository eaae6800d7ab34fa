"""A built-in model's first run says what it prepares, and leaves it exported so that ``auto`` runs ONNX Runtime."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.cli import main
from core.models import prepare
from core.models.catalog import DEFAULT_MODEL
from core.models.onnx_backend import export_report
from core.models.registry import ModelError, inspect_folder
from tests.audio_factory import chords, write


def builtin_copy(tiny_model: Path, tmp_path: Path):
    folder = Path(shutil.copytree(tiny_model, tmp_path / "tiny-builtin"))
    return inspect_folder(folder, "tiny-builtin", builtin=True)


def test_auto_exports_a_builtin_once_and_says_so(tiny_model: Path, tmp_path: Path) -> None:
    info = builtin_copy(tiny_model, tmp_path)
    steps: list[str] = []
    prepare.export_for_auto(info, "auto", "cpu", steps.append)
    assert steps == ["preparing model tiny-builtin (first run only): exporting to ONNX Runtime, checked against torch"]
    assert export_report(info) is not None
    prepare.export_for_auto(info, "auto", "cpu", steps.append)
    assert len(steps) == 1  # once


def test_an_asked_for_runtime_or_a_users_model_is_not_exported(tiny_model: Path, tmp_path: Path) -> None:
    info = builtin_copy(tiny_model, tmp_path)
    steps: list[str] = []
    prepare.export_for_auto(info, "torch", "cpu", steps.append)
    prepare.export_for_auto(inspect_folder(tiny_model, "mine"), "auto", "cpu", steps.append)
    assert steps == [] and export_report(info) is None


def test_a_failed_export_runs_on_torch_and_is_never_retried(tiny_model: Path, tmp_path: Path, monkeypatch) -> None:
    info = builtin_copy(tiny_model, tmp_path)
    calls: list[str] = []

    def disagreeing(model_info, int8=False):
        calls.append(model_info.name)
        raise ModelError("ONNX export of tiny-builtin disagrees with torch (max score difference 1.0e-01); not kept")

    monkeypatch.setattr("core.models.export.export", disagreeing)
    steps: list[str] = []
    prepare.export_for_auto(info, "auto", "cpu", steps.append)
    prepare.export_for_auto(info, "auto", "cpu", steps.append)
    assert calls == ["tiny-builtin"]
    assert steps[-1].startswith("the ONNX export of tiny-builtin was not kept (ONNX export of tiny-builtin disagrees")
    assert steps[-1].endswith("; running on torch")


@pytest.mark.slow
def test_the_first_tag_run_prepares_the_default_model_visibly_then_runs_onnx(capsys, tmp_path: Path, monkeypatch):
    # The first run sat 25 s at "0 / 14 files" with no word, then ran torch although ONNX is 2.3x faster.
    monkeypatch.setenv("EARMARK_HOME", str(tmp_path / "fresh-home"))
    write(tmp_path / "lib" / "song.wav", chords(4.0), 22050)
    db = str(tmp_path / "p.db")
    assert main(["tag", str(tmp_path / "lib"), "--db", db]) == 0
    err = capsys.readouterr().err
    assert f"earmark: preparing model {DEFAULT_MODEL} (first run only): converting its packaged weights" in err
    assert "exporting to ONNX Runtime, checked against torch" in err
    assert f"{DEFAULT_MODEL} on onnx-fp32" in err
    write(tmp_path / "lib" / "other.wav", chords(4.0, seed=3), 22050)
    assert main(["tag", str(tmp_path / "lib"), "--db", db]) == 0
    err = capsys.readouterr().err
    assert "preparing" not in err and f"{DEFAULT_MODEL} on onnx-fp32" in err
