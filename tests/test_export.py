"""ONNX export, int8, and choosing the runtime: same scores, bad exports refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.models import export as export_module
from core.models.backend import TorchBackend
from core.models.onnx_backend import OnnxBackend, export_report
from core.models.registry import ModelError, inspect_folder
from core.models.runtime import load_backend
from core.runs.options import TagOptions
from core.runs.tasks.tags import TagRun
from core.store import Store
from tests.audio_factory import chords, write
from tests.test_models import tiny_wav2vec2
from tests.tiny_models import tiny_musicnn


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return tiny_musicnn(tmp_path / "tiny-musicnn")


def scores(backend, library: Path, db: Path) -> dict[tuple[str, str], float]:
    with Store(db) as store:
        TagRun(backend, store, TagOptions()).run([library])
        return {(r.path, i.label): i.score for r in store.results(backend.info.name, top_k=0) for i in r.labels}


def test_onnx_fp32_and_int8_tag_like_torch(model: Path, tmp_path: Path) -> None:
    info = inspect_folder(model)
    report = export_module.export(info, int8=True)
    assert report.exporter == "torch.onnx" and report.fp32_max_diff < 1e-4
    assert report.int8 is not None and report.int8.kept and report.int8.top1_agreement >= 0.99
    assert json.loads((model / "onnx" / "export.json").read_text())["model_version"] == info.version

    for i in range(3):
        write(tmp_path / "lib" / f"{i}.wav", chords(7.0, 22050, seed=i), 22050)
    torch_scores = scores(TorchBackend(info, "cpu"), tmp_path / "lib", tmp_path / "t.db")
    onnx_scores = scores(OnnxBackend(info), tmp_path / "lib", tmp_path / "o.db")
    int8_scores = scores(OnnxBackend(info, int8=True), tmp_path / "lib", tmp_path / "i.db")
    assert onnx_scores.keys() == torch_scores.keys()
    assert max(abs(onnx_scores[k] - torch_scores[k]) for k in torch_scores) < 1e-4
    assert max(abs(int8_scores[k] - torch_scores[k]) for k in torch_scores) < 0.05


def test_a_disagreeing_export_is_refused_and_leaves_nothing(model: Path, monkeypatch) -> None:
    info = inspect_folder(model)
    wrong = TorchBackend(inspect_folder(tiny_musicnn(model.parent / "other", seed=7)), "cpu")
    real_export = export_module._export_torch_onnx
    monkeypatch.setattr(export_module, "_export_torch_onnx", lambda _, sample, out: real_export(wrong, sample, out))
    with pytest.raises(ModelError, match="disagrees with torch"):
        export_module.export(info)
    assert not (model / "onnx").exists()
    assert [p.name for p in model.iterdir() if p.name.startswith(".onnx-")] == []


def test_int8_below_the_agreement_bar_is_not_kept(model: Path, monkeypatch) -> None:
    monkeypatch.setattr(export_module, "INT8_MIN_AGREEMENT", 1.01)
    report = export_module.export(inspect_folder(model), int8=True)
    assert report.int8 is not None and not report.int8.kept
    assert not (model / "onnx" / "model_int8.onnx").exists()
    with pytest.raises(ModelError, match="no validated int8 export"):
        OnnxBackend(inspect_folder(model), int8=True)


def test_optimum_exports_hugging_face_architectures(tmp_path: Path) -> None:
    info = inspect_folder(tiny_wav2vec2(tmp_path / "w2v"))
    report = export_module.export(info)
    assert report.exporter == "optimum" and report.fp32_max_diff < 1e-3
    backend = OnnxBackend(info)
    clip = backend.preprocess(chords(4.0, 16000))
    assert np.abs(backend.forward(clip) - TorchBackend(info, "cpu").forward(clip)).max() < 1e-3


def test_auto_prefers_a_current_export_and_ignores_a_stale_one(model: Path) -> None:
    info = inspect_folder(model)
    assert load_backend(info).describe() == "torch on cpu"
    export_module.export(info, int8=True)
    assert load_backend(info).describe() == "onnx-fp32 on cpu"
    assert load_backend(info, "onnx-int8").describe() == "onnx-int8 on cpu"
    assert load_backend(info, "torch").describe() == "torch on cpu"
    # retrain the model in place: the old export no longer describes it
    shutil.copy(tiny_musicnn(model.parent / "retrained", seed=3) / "model.safetensors", model / "model.safetensors")
    info = inspect_folder(model)
    assert export_report(info) is None
    assert load_backend(info).describe() == "torch on cpu"


def test_cli_export_and_missing_export(capsys, model: Path, tmp_path: Path) -> None:
    write(tmp_path / "lib" / "a.wav", chords(3.0), 22050)
    code = main(["tag", str(tmp_path / "lib"), "--model", str(model), "--backend", "onnx", "--db", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert code == 1 and "has no ONNX export" in err and "earmark models export" in err
    assert main(["models", "export", str(model), "--int8"]) == 0
    out = capsys.readouterr().out
    assert "max score difference to torch" in out and "top-1 agreement" in out and "kept" in out
    code = main(["tag", str(tmp_path / "lib"), "--model", str(model), "--db", str(tmp_path / "d"), "--quiet"])
    assert code == 0
