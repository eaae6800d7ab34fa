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


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_model: Path):
    """The main window (GUI tests), offscreen, with a database of its own and the tiny model active."""
    from tests.gui import open_window

    return open_window(qtbot, tmp_path, str(tiny_model))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_musicnn(tmp_path_factory.mktemp("models") / "tiny-musicnn")
