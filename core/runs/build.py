"""Request -> run: the one place where the CLI and the app turn what the user asked into a run."""

from __future__ import annotations

import threading

from ..store import Store
from .observer import RunObserver
from .run import Run
from .tasks import BUILDERS


def build_run(
    request: object, store: Store, observer: RunObserver | None = None, stop: threading.Event | None = None
) -> Run:
    """The run ``request`` asks for, ready to start with ``run.run(request.paths)``.

    Raises ``ModelError``/``ListenModelError`` (a model that cannot be used) or ``RequestError``
    with a one-line reason, before any file is read.
    """
    return BUILDERS[type(request)](request, store, observer, stop)
