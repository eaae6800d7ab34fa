"""The app's settings (database, model, device, thresholds, folders), kept under Earmark's data directory.

They live in ``settings.ini`` beside the database and the converted models, so ``EARMARK_HOME`` moves
everything at once: a second home never opens the first one's database or asks for its models.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from PySide6.QtCore import QSettings

from core.models.catalog import DEFAULT_MODEL
from core.models.registry import available_names
from core.paths import data_dir, default_db_path
from core.runs.engines import EngineSpec


def settings_path() -> Path:
    return data_dir() / "settings.ini"


def open_settings() -> QSettings:
    """The settings file of the current data directory (``EARMARK_HOME`` when set).

    The first time in the default home, the settings kept before in ``~/.config`` are taken over, so an
    update keeps the owner's folders and database; another home starts afresh, isolated.
    """
    settings = QSettings(str(settings_path()), QSettings.Format.IniFormat)
    if not settings.allKeys() and "EARMARK_HOME" not in os.environ:
        legacy = QSettings("Earmark", "Earmark")
        for key in legacy.allKeys():
            settings.setValue(key, legacy.value(key))
        settings.sync()
    return settings


def model_exists(spec: str) -> bool:
    """A built-in or installed model name, or a model folder: cheap, nothing loaded or converted."""
    return spec in available_names() or Path(spec).expanduser().is_dir()


@dataclass
class AppSettings:
    db_path: str = field(default_factory=lambda: str(default_db_path()))
    model: str = DEFAULT_MODEL
    backend: str = "auto"
    device: str = "auto"
    coverage: str = "full"
    threads: int = 0  # CPU threads for the model; 0: all cores
    top_k: int = 5
    genre_threshold: float = 0.15  # the score a label needs to be written as a genre tag
    folders: list[str] = field(default_factory=list)
    engine: str = "local"  # local: this computer; ray: a Ray cluster (core.runs.engines.ray)
    ray_address: str = ""  # the cluster's host:port; empty: a Ray instance on this computer
    notice: str = field(default="", metadata={"saved": False})  # what loading changed, for the status bar

    @classmethod
    def load(cls, store: QSettings) -> AppSettings:
        """The saved settings; a saved model that is gone (deleted, or installed under another home) falls
        back to the default model, and ``notice`` says so, rather than every Tag failing with "no model"."""
        settings = cls()
        for item in _saved_fields():
            default = getattr(settings, item.name)
            value = store.value(item.name, default)
            if isinstance(default, list):
                value = [value] if isinstance(value, str) else list(value or [])
            elif isinstance(default, float):
                value = float(value)
            elif isinstance(default, int):
                value = int(value)
            setattr(settings, item.name, value)
        if settings.model != DEFAULT_MODEL and not model_exists(settings.model):
            settings.notice = f"Model {settings.model!r} is no longer installed: using {DEFAULT_MODEL}"
            settings.model = DEFAULT_MODEL
        return settings

    def save(self, store: QSettings) -> None:
        for item in _saved_fields():
            store.setValue(item.name, getattr(self, item.name))
        store.sync()

    @property
    def db(self) -> Path:
        return Path(self.db_path).expanduser()

    @property
    def engine_spec(self) -> EngineSpec:
        """Where runs execute, as the CLI's ``--engine`` and ``--ray-address`` would say."""
        return EngineSpec("ray", self.ray_address.strip() or None) if self.engine == "ray" else EngineSpec()


def _saved_fields() -> list:
    return [item for item in fields(AppSettings) if item.metadata.get("saved", True)]
