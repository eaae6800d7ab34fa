"""What a run will do, decided from the store alone: no model is loaded to find that nothing changed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..records import FileStat
from ..scan import file_stat, scan
from ..store import Store
from .options import TagOptions


@dataclass
class Plan:
    """What a run will do: the files to read, what it can skip, and whose own tags to read (again)."""

    jobs: list[FileStat]
    skipped: int
    present: set[str]
    problems: list[str]
    stale_tags: list[FileStat] = field(default_factory=list)  # changed since their tags were read, or never read


def plan_run(paths: Iterable[Path], store: Store, name: str, version: str, options: TagOptions) -> Plan:
    """Scan ``paths`` and keep the files that this model version has not seen as they are now."""
    problems: list[str] = []
    prior = {} if options.force else store.prior_analyses(name, version)
    tags_read_at = store.tags_read_at()
    stale_tags: list[FileStat] = []
    jobs: list[FileStat] = []
    present: set[str] = set()
    skipped = 0
    for path in scan(paths, problems):
        stat = file_stat(path)
        present.add(str(path))
        if tags_read_at.get(str(path)) != stat.mtime:
            stale_tags.append(stat)
        earlier = prior.get(str(path))
        covered = earlier is not None and earlier.coverage in ("full", options.coverage)
        if earlier and covered and earlier.matches(stat) and (earlier.status == "tagged" or not options.retry_errors):
            skipped += 1
        else:
            jobs.append(stat)
    return Plan(jobs, skipped, present, problems, stale_tags)
