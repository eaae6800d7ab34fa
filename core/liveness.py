"""Whether the process that left something behind (a scratch folder, a run row) is still running."""

from __future__ import annotations

import os
import socket


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def this_host() -> str:
    return socket.gethostname()
