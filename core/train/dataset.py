"""A labelled folder (one sub-folder per label) as training clips: validated, split, cut, decoded.

Validation comes first and says everything that is wrong at once: too few classes, classes with
too few readable files, unreadable files (listed and skipped, never fatal), imbalance. The split is
stratified by *file*, with a fixed seed, so that clips of one recording never sit on both sides.
Long files are cut into clips of the base model's length, spread evenly over the file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from ..audio import AudioInfo, DecodeError, Span, probe, stream_segments
from ..errors import EarmarkError
from ..scan import scan

MIN_FILES_PER_CLASS = 4
BACKGROUND_LIMIT_S = 600.0  # of background audio kept in memory (10 min at 16 kHz: 38 MB)
IMBALANCE_WARNING_RATIO = 3.0
LISTED_SKIPS = 20  # unreadable files named in an error; the rest are counted


class DatasetError(EarmarkError):
    """The folder cannot be trained on; the message says every reason, one per line."""


@dataclass(frozen=True)
class LabelledFile:
    path: Path
    label: str
    duration_s: float
    info: AudioInfo  # the header, kept so that cutting clips later does not probe the file again


@dataclass(frozen=True)
class SkippedFile:
    path: Path
    reason: str


@dataclass
class FolderSummary:
    """What a labelled folder holds: readable files per class, skipped files, warnings."""

    root: Path
    files: list[LabelledFile]
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return sorted({f.label for f in self.files})

    def counts(self) -> dict[str, int]:
        return {label: sum(f.label == label for f in self.files) for label in self.labels}

    def durations(self) -> list[float]:
        return [f.duration_s for f in self.files]

    def to_json(self) -> dict:
        return {
            "folder": str(self.root),
            "files_per_label": self.counts(),
            "skipped": [{"path": str(s.path), "reason": s.reason} for s in self.skipped],
            "warnings": list(self.warnings),
        }


def _readable(path: Path) -> tuple[AudioInfo, float]:
    """Header and true duration (decoded, not trusted from the header: truncated files lie)."""
    info = probe(path)
    samples = sum(len(block) for block in stream_segments(path, info, 8000, 60.0))
    return info, samples / 8000


def inspect_labelled_folder(
    root: Path,
    min_files: int = MIN_FILES_PER_CLASS,
    on_file: Callable[[int, int], None] | None = None,
    min_labels: int = 2,
) -> FolderSummary:
    """Read every file under ``root/<label>/``; raise :class:`DatasetError` if it falls short of the minimums.

    ``on_file(done, total)`` reports progress (decoding a large folder takes a while). Scoring a
    model on held-out files needs less than training: ``min_files=1, min_labels=1``.
    """
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    candidates = [(path, folder.name) for folder in class_dirs for path in sorted(scan([folder]))]
    files: list[LabelledFile] = []
    skipped: list[SkippedFile] = []
    for done, (path, label) in enumerate(candidates, start=1):
        try:
            info, duration = _readable(path)
        except DecodeError as error:
            skipped.append(SkippedFile(path, str(error)))
        else:
            files.append(LabelledFile(path, label, duration, info))
        if on_file:
            on_file(done, len(candidates))
    summary = FolderSummary(root, files, skipped)
    problems = []
    counts = summary.counts()
    if len(counts) < min_labels:
        found = ", ".join(counts) or "none"
        needed = "two sub-folders" if min_labels == 2 else f"{min_labels} sub-folder(s)"
        problems.append(f"{root} needs at least {needed} of audio, one per label (labels with audio: {found})")
    for label in (d.name for d in class_dirs):
        if counts.get(label, 0) < min_files:
            problems.append(f"label {label!r} has {counts.get(label, 0)} readable files; at least {min_files} needed")
    if problems:
        if skipped:
            problems.append(f"{len(skipped)} unreadable files were skipped:")
            problems += [f"  {s.path}: {s.reason}" for s in skipped[:LISTED_SKIPS]]
            if len(skipped) > LISTED_SKIPS:
                problems.append(f"  and {len(skipped) - LISTED_SKIPS} more")
        raise DatasetError("\n".join(problems))
    if skipped:
        summary.warnings.append(f"{len(skipped)} unreadable files skipped")
    if max(counts.values()) >= IMBALANCE_WARNING_RATIO * min(counts.values()):
        big, small = max(counts, key=counts.get), min(counts, key=counts.get)
        summary.warnings.append(
            f"imbalanced: {big!r} has {counts[big]} files, {small!r} {counts[small]}; labels are weighted to compensate"
        )
    return summary


def split(
    summary: FolderSummary, validation_fraction: float, seed: int
) -> tuple[list[LabelledFile], list[LabelledFile]]:
    """Stratified train/validation split of the files, at least one validation file per label."""
    labels = [f.label for f in summary.files]
    size = max(len(summary.labels), round(validation_fraction * len(labels)))
    train, validation = train_test_split(summary.files, test_size=size, stratify=labels, random_state=seed)
    return list(train), list(validation)


@dataclass(frozen=True)
class Clip:
    """One training example: a stretch of a file and its label id. Crosses into reports and the GUI."""

    path: Path
    start_s: float
    seconds: float
    label_id: int
    info: AudioInfo


def cut(files: list[LabelledFile], label_ids: dict[str, int], clip_seconds: float, max_per_file: int) -> list[Clip]:
    """Clips of ``clip_seconds`` per file: the whole file if shorter, else up to ``max_per_file``
    non-overlapping clips spread evenly from start to end."""
    clips = []
    for file in files:
        fits = max(1, math.floor(file.duration_s / clip_seconds))
        count = min(fits, max_per_file)
        last_start = max(0.0, file.duration_s - clip_seconds)
        starts = np.linspace(0.0, last_start, count) if count > 1 else [0.0 if fits == 1 else last_start / 2]
        clips += [Clip(file.path, round(float(s), 3), clip_seconds, label_ids[file.label], file.info) for s in starts]
    return clips


class ClipDataset(torch.utils.data.Dataset):
    """Decoded clips held in memory (a few hundred clips of seconds are tens of MB), each decoded once.

    ``augment`` marks the training side: the collator perturbs only the items that carry it.
    """

    def __init__(
        self,
        clips: list[Clip],
        sampling_rate: int,
        augment: bool = False,
        on_clip: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        self.clips = clips
        self.augment = augment
        self.audio: list[np.ndarray] = []
        for done, clip in enumerate(clips, start=1):
            if cancelled():
                break
            self.audio.append(self._decode(clip, sampling_rate))
            if on_clip:
                on_clip(done, len(clips))

    @staticmethod
    def _decode(clip: Clip, rate: int) -> np.ndarray:
        blocks = list(stream_segments(clip.path, clip.info, rate, clip.seconds, Span(clip.start_s, clip.seconds)))
        return np.concatenate(blocks)[: int(round(clip.seconds * rate))]

    def __len__(self) -> int:
        return len(self.audio)

    def __getitem__(self, index: int) -> dict:
        return {"audio": self.audio[index], "label": self.clips[index].label_id, "augment": self.augment}


def load_background(folder: Path, rate: int, limit_s: float = BACKGROUND_LIMIT_S) -> list[np.ndarray]:
    """The user's background recordings (room tone, street, their music) at ``rate``, to mix into
    training clips; unreadable files are skipped, and at most ``limit_s`` seconds are read in all."""
    if not folder.is_dir():
        raise DatasetError(f"background {folder} is not a folder")
    recordings: list[np.ndarray] = []
    left = int(limit_s * rate)
    for path in sorted(scan([folder])):
        if left <= 0:
            break
        try:
            info = probe(path)
            blocks = stream_segments(path, info, rate, 60.0, Span(0.0, left / rate))
            audio = np.concatenate(list(blocks))[:left]
        except (DecodeError, ValueError):  # ValueError: nothing decoded (an empty file)
            continue
        if len(audio) and float(np.max(np.abs(audio))) > 0:
            recordings.append(audio.astype(np.float32))
            left -= len(audio)
    if not recordings:
        raise DatasetError(f"background {folder} holds no readable audio")
    return recordings
