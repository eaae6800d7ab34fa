"""The app's settings, persisted with QSettings (DB location, model, device, thresholds...)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from PySide6.QtCore import QSettings

from core.models.catalog import DEFAULT_MODEL
from core.paths import default_db_path


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

    @classmethod
    def load(cls, store: QSettings) -> AppSettings:
        settings = cls()
        for item in fields(cls):
            default = getattr(settings, item.name)
            value = store.value(item.name, default)
            if isinstance(default, list):
                value = [value] if isinstance(value, str) else list(value or [])
            elif isinstance(default, float):
                value = float(value)
            elif isinstance(default, int):
                value = int(value)
            setattr(settings, item.name, value)
        return settings

    def save(self, store: QSettings) -> None:
        for item in fields(self):
            store.setValue(item.name, getattr(self, item.name))
        store.sync()

    @property
    def db(self) -> Path:
        return Path(self.db_path).expanduser()
