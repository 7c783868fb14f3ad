"""Expected errors -> one paragraph on stderr and exit status 2; bugs keep their traceback.

Every command runs through :func:`run_command` (``agent.cli``). An *expected* error is bad input
or a bad environment the user can fix: a ValueError (configs, checkpoints, datasets, splits), a
missing, unwritable or misplaced path (OSError), a device that is not there. It is printed as
``miniground CMD: error: <message>`` on one paragraph, without a traceback unless
``MINIGROUND_DEBUG=1``. Anything else is a bug and propagates with its traceback.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable

DEBUG_ENV = "MINIGROUND_DEBUG"
"""Set to 1 to print the traceback of an expected error too."""

USAGE_EXIT = 2
"""Exit status of a command stopped by an expected error (argparse and tyro use 2 as well)."""


class UsageError(ValueError):
    """Bad input with a message that already says what to do; raised by our own checks."""


class DeviceUnavailable(RuntimeError, ValueError):
    """A torch device was asked for that this machine does not have."""


def debug_enabled() -> bool:
    """Whether ``MINIGROUND_DEBUG`` asks for tracebacks."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def is_expected(exc: BaseException) -> bool:
    """Whether ``exc`` is bad input or a bad environment rather than a bug."""
    if isinstance(exc, (ValueError, DeviceUnavailable)):
        return True
    # OSError covers missing, unwritable, full or misplaced paths; not a broken pipe to a worker.
    return isinstance(exc, OSError) and not isinstance(exc, (BrokenPipeError, ConnectionError))


def describe(exc: BaseException) -> str:
    """One paragraph naming the problem (an OSError names its path and the reason)."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        where = f"{exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 else "")
        hint = {
            FileExistsError: "it already exists",
            PermissionError: "permission denied; choose a folder you can write to",
            NotADirectoryError: "a path component is a file, not a folder",
            IsADirectoryError: "it is a folder, not a file",
            FileNotFoundError: "no such file or folder",
        }.get(type(exc), exc.strerror)
        text = f"{where}: {hint}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def report(command: str, exc: BaseException) -> int:
    """Print an expected error as one paragraph (plus the traceback in debug mode)."""
    if debug_enabled():
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    print(f"miniground {command}: error: {describe(exc)}", file=sys.stderr)
    if not debug_enabled():
        print(f"(set {DEBUG_ENV}=1 for the traceback)", file=sys.stderr)
    return USAGE_EXIT


def run_command(command: str, func: Callable[[list[str]], int | None], argv: list[str]) -> int:
    """``func(argv)`` as an exit status: expected errors -> message + 2, Ctrl-C -> 130."""
    try:
        return int(func(argv) or 0)
    except KeyboardInterrupt:
        print(f"miniground {command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not is_expected(exc):
            raise
        return report(command, exc)
