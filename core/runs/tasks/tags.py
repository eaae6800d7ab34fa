"""Music tags (any audio-classification model): windows batched across files, file score = mean.

A music tagger (a model with a genre group) is guarded: no music labels where there is none
(:mod:`.music_guard`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ...models.prepare import export_for_auto, resolve_prepared
from ...models.windows import concat_features, window_count
from ...records import FileStat, FileTags
from ...store import Store
from ..observer import RunObserver
from ..options import TagOptions
from ..recipe import Recipe
from ..requests import TagRequest
from ..run import Run
from ..stages import FileEnd, Pending, Segment, aggregate, decode_file, excerpt_spans
from . import music_guard

if TYPE_CHECKING:
    import numpy as np

    from ...models.backend import Backend


class TagTask:
    """A loaded model's stages: decode and featurise, score batches of windows, average per file."""

    max_decoders = None
    recipe: Recipe | None = None  # set by build(): a cluster worker loads the same model from a copy of its folder

    def __init__(self, backend: Backend, options: TagOptions) -> None:
        self.backend = backend
        self.options = options
        self.analyser = music_guard.identity(backend.info)
        self.batch_size = options.batch_size or backend.preferred_batch_size
        self.listener = music_guard.Listener(backend.sampling_rate) if music_guard.guarded(backend.info) else None

    def describe(self) -> str:
        return self.backend.describe()

    def decode(self, job: int, stat: FileStat, halted: Callable[[], bool]) -> Iterator[Segment | FileEnd]:
        return decode_file(job, stat, self.backend, self.options, self.listener)

    def infer(self, inputs: list) -> list[np.ndarray]:
        scores = self.backend.forward(concat_features(inputs))
        results, offset = [], 0
        for features in inputs:
            count = window_count(features)
            results.append(scores[offset : offset + count])
            offset += count
        return results

    def finish(self, pending: Pending) -> FileTags:
        if self.listener is not None:
            return music_guard.finish(pending, self.backend.labels, self.options.segment_top_k)
        return aggregate(pending, self.backend.labels, self.options.segment_top_k)

    def coverage(self, tags: FileTags) -> str:
        return "excerpts" if excerpt_spans(tags.info.duration_s, self.options) else "full"


class TagRun(Run):
    """One run of an already loaded model over some folders, writing into the store."""

    def __init__(
        self,
        backend: Backend,
        store: Store,
        options: TagOptions | None = None,
        observer: RunObserver | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        options = options or TagOptions()
        task = TagTask(backend, options)
        super().__init__(task.analyser, lambda: task, store, options, observer, stop)


def build(request: TagRequest, store: Store, observer: RunObserver | None, stop: threading.Event | None) -> Run:
    """Resolve the model now (a bad name fails before anything is read); load it only if there is work."""
    observer = observer or RunObserver()
    info = resolve_prepared(request.model, observer.preparing)

    def load() -> TagTask:
        from ...models.runtime import load_backend

        export_for_auto(info, request.backend, request.device, observer.preparing)
        task = TagTask(load_backend(info, request.backend, request.device, request.threads), request.options)
        settings = dict(name=info.name, backend=request.backend, threads=request.threads, options=request.options)
        task.recipe = Recipe(rebuild, settings, {"folder": info.path}, request.device)
        return task

    return Run(music_guard.identity(info), load, store, request.options, observer, stop, request.engine)


def rebuild(folder: Path, name: str, backend: str, device: str, threads: int | None, options: TagOptions) -> TagTask:
    """The task on a cluster worker, from the copy of the model folder shipped there (checked as any folder is)."""
    from ...models.registry import inspect_folder
    from ...models.runtime import load_backend

    return TagTask(load_backend(inspect_folder(folder, name), backend, device, threads), options)
