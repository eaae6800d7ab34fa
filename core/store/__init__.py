"""The SQLite store: the one module that owns the schema, its migrations and every query.

One database holds the files seen, the models used, each run, and per (file, model) the latest
analysis: every label with its score and rank, and per-segment top-k. WAL mode lets readers
(the GUI) use their own connection while a run writes; each file's results commit in one
transaction, so a killed run leaves whole files or nothing, and a rerun resumes without
duplicates. All SQL is parameterised.

The package: :mod:`.schema` (numbered migrations), :mod:`.database` (the connection and every write),
:mod:`.queries` (every read that a results view or the CLI makes).
"""

from .database import PriorAnalysis, Store
from .schema import MIGRATIONS, StoreError

__all__ = ["MIGRATIONS", "PriorAnalysis", "Store", "StoreError"]
