"""Worker processes that die with their parent.

A worker we start (demos, evaluation, grounding capture, PPO env workers, video recording) calls
:func:`tie_to_parent` first thing. On Linux the kernel then sends it SIGKILL the moment its parent
exits (``prctl(PR_SET_PDEATHSIG)``); everywhere, a daemon thread also polls the parent's pid and
kills the worker once the parent is gone (the fallback where prctl is missing). A ``kill -9`` of a
command therefore never leaves workers writing shards or holding a GPU behind it.

Linux delivers the parent-death signal when the *thread* that started the worker exits, so start
workers from a thread that lives as long as they should (every pool here starts them from the
main thread). A forkserver worker's parent is the forkserver, which exits with the command.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal this process gets when its parent exits (linux/prctl.h)."""

POLL_S = 0.5
"""How often the watchdog thread checks that the parent is still there."""

_TIED: dict[str, Any] = {}


def _set_pdeathsig(sig: int) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent exits (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def parent_alive(parent: int) -> bool:
    """Whether ``parent`` is still this process's parent (an orphan is re-parented)."""
    if os.getppid() != parent:
        return False
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die() -> None:
    with contextlib.suppress(Exception):
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(1)


def _watch(parent: int, poll_s: float) -> None:
    while parent_alive(parent):
        time.sleep(poll_s)
    _die()


def tie_to_parent(poll_s: float = POLL_S) -> int:
    """Make this process die with its parent; return the parent's pid. Idempotent."""
    parent = os.getppid()
    if _TIED.get("pid") == os.getpid():
        return parent
    _set_pdeathsig(signal.SIGKILL)
    if not parent_alive(parent):  # the parent died before prctl took effect
        _die()
    watchdog = threading.Thread(
        target=_watch, args=(parent, poll_s), name="miniground-lifeline", daemon=True
    )
    watchdog.start()
    _TIED["pid"] = os.getpid()
    return parent


class Tied:
    """A picklable callable that ties its process to its parent, then calls ``fn``.

    For worker entry points we do not write ourselves (a vector env's env constructor).
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        import multiprocessing

        if multiprocessing.parent_process() is not None:  # not in the main process (Gymnasium
            tie_to_parent()  # builds one env there too, to read the spaces)
        return self.fn(*args, **kwargs)
