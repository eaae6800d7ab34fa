from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny_models import tiny_musicnn


@pytest.fixture(autouse=True)
def earmark_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets the same private data dir: converted models are reused, no real home touched."""
    home = tmp_path_factory.getbasetemp() / "earmark-home"
    monkeypatch.setenv("EARMARK_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_musicnn(tmp_path_factory.mktemp("models") / "tiny-musicnn")
