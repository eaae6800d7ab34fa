"""Where Earmark keeps its data: the database and the converted models.

Everything lives under one data directory — the platform's user data dir (``~/.local/share/earmark``
on Linux), or ``$EARMARK_HOME`` when set, which is how tests and portable installs relocate it.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    override = os.environ.get("EARMARK_HOME")
    return Path(override).expanduser() if override else Path(platformdirs.user_data_dir("earmark", appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "earmark.db"


def models_dir() -> Path:
    return data_dir() / "models"
