"""Writing genres into many files, as the CLI and the app both do: plan, write with a backup, undo.

The plan reads each file's genres now and proposes new ones from the model's genre group only (a
model without one writes nothing: "technical; billing" is not a genre). Writing records the
values it replaces first, then writes file by file; each file's outcome is its own, and the store's
fingerprint follows every rewritten file so that the next run does not analyse it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..genre_verdict import NO_MUSIC
from ..records import LabelScore, TagBackup
from ..scan import file_stat
from ..store import StoreError
from .files import NOT_ANALYSED, GenreChange, TagWriteError, WriteOutcome, read_genres, same_audio, write_genres
from .policy import GenrePolicy, propose

FIELD = "genre"


@dataclass(frozen=True)
class PlannedFile:
    """One file of a plan: the change, with the labels that made it (the dialog shows them)."""

    change: GenreChange
    labels: list[LabelScore]


@dataclass(frozen=True)
class WritePlan:
    """What writing would do to each file asked for, and why some files cannot be planned."""

    model: str
    policy: GenrePolicy
    files: list[PlannedFile]
    problems: list[str]

    @property
    def changes(self) -> list[GenreChange]:
        return [planned.change for planned in self.files if planned.change.changes]


def genre_labels(store, model: str) -> set[str]:
    """The model's genre labels, or the reason it has none to write."""
    _labels, groups = store.model_labels(model)
    if not groups.get("genre"):
        raise TagWriteError(
            f"model {model} has no genre labels (its groups: {', '.join(sorted(groups)) or 'none'});"
            " only genres are written into files"
        )
    return set(groups["genre"]) - {NO_MUSIC}  # a verdict on the file, not a genre: never written


def plan(store, model: str, paths: list[str], policy: GenrePolicy) -> WritePlan:
    """Each file's genres now and after, from the model's genre labels stored for it."""
    genres = genre_labels(store, model)
    files: list[PlannedFile] = []
    problems: list[str] = []
    for path in paths:
        analysed = store.analysed_stat(path, model)
        if analysed is None or not same_audio(file_stat(Path(path)), analysed):
            problems.append(f"{path}: left as it is: {NOT_ANALYSED}")
            continue
        labels = [item for item in store.file_labels(path, model) if item.label in genres]
        try:
            before = read_genres(Path(path))
        except TagWriteError as error:
            problems.append(str(error))
            continue
        change = GenreChange(Path(path), before, propose(before, labels, policy), analysed=analysed)
        files.append(PlannedFile(change, labels))
    return WritePlan(model, policy, files, problems)


def apply(store, changes: list[GenreChange], model: str | None, mode: str) -> list[WriteOutcome]:
    """Write the changes (the ones the owner kept ticked), remembering what each replaced."""
    changes = [change for change in changes if change.changes]
    if not changes:
        return []
    write_id = store.begin_tag_write(model, mode, [TagBackup(str(c.path), FIELD, c.before, c.after) for c in changes])
    outcomes: list[WriteOutcome] = []
    try:
        for change in changes:
            outcomes.append(write_genres(change))
            _remember(store, write_id, change, outcomes[-1])
    except StoreError as error:  # the database failed mid-batch: say what was written (its backups are kept)
        written = sum(outcome.status == "written" for outcome in outcomes)
        raise TagWriteError(
            f"stopped after writing {written} of {len(changes)} file(s) (undo restores them): {error}"
        ) from error
    store.finish_tag_write(write_id)
    return outcomes


def undo_last(store) -> tuple[str, list[WriteOutcome]]:
    """Restore the values the newest write replaced; (what was undone, each file's outcome).

    A file whose genres were changed again since Earmark wrote them is left as the owner made it.
    A file that cannot be restored now (read-only, gone, a disk full) keeps its backup, and the write
    stays the one to undo: the next undo tries those files again, so no owner's value is ever lost.
    """
    last = store.last_tag_write()
    if last is None:
        raise TagWriteError("nothing to undo: no genres written by Earmark are left to restore")
    outcomes = []
    for backup in last.backups:
        change = GenreChange(Path(backup.path), backup.after, backup.before, since="Earmark wrote them")
        outcome = write_genres(change)
        if outcome.rewritten is not None:
            store.follow_rewrite(backup.path, *outcome.rewritten)
        if not pending_undo(outcome):
            store.drop_tag_backup(last.id, backup.path)
        outcomes.append(outcome)
    if not any(pending_undo(outcome) for outcome in outcomes):
        store.mark_tag_write_undone(last.id)
    what = f"the write of {len(last.backups)} file(s)" + (f" from model {last.model}" if last.model else "")
    return what, outcomes


def pending_undo(outcome: WriteOutcome) -> bool:
    """Whether an undo left this file to restore later (it was refused, and not for an owner's change)."""
    return outcome.status == "refused" and not outcome.owner_changed


def summarize(outcomes: list[WriteOutcome], verb: str = "Wrote genres into") -> list[str]:
    """Lines for the user: how many files were written, and each one that was not, with its reason."""
    written = sum(outcome.status == "written" for outcome in outcomes)
    unchanged = sum(outcome.status == "unchanged" for outcome in outcomes)
    refused = [str(outcome) for outcome in outcomes if outcome.status == "refused"]
    lines = [f"{verb} {written} file(s)."]
    if unchanged:
        lines.append(f"{unchanged} file(s) already had those genres.")
    if refused:
        lines += [f"Refused {len(refused)} file(s), left as they were:", *refused]
    return lines


def written_files(outcomes: list[WriteOutcome], shown: int = 12) -> list[str]:
    """The files written, by name (the app's result names each one, as the CLI's preview did)."""
    names = [outcome.path.name for outcome in outcomes if outcome.status == "written"]
    if not names:
        return []
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return [f"Written: {', '.join(names[:shown])}{more}."]


def undo_summary(what: str, outcomes: list[WriteOutcome]) -> list[str]:
    """Lines for the user after an undo; the last says how to finish one that left files to restore."""
    lines = [f"Undid {what}.", *summarize(outcomes, verb="Restored the genres of")]
    left = sum(pending_undo(outcome) for outcome in outcomes)
    if left:
        lines.append(f"{left} file(s) not restored yet; their genres are kept: fix what is said above and undo again.")
    return lines


def _remember(store, write_id: int, change: GenreChange, outcome: WriteOutcome) -> None:
    """A written file's fingerprint follows it; a file left as it was needs no backup."""
    if outcome.rewritten is not None:
        store.follow_rewrite(str(change.path), *outcome.rewritten)
    else:
        store.drop_tag_backup(write_id, str(change.path))
