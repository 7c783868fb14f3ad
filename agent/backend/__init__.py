"""Where seeded jobs run: this machine's worker processes or a Ray cluster, behind one interface.

:func:`make_backend` turns ``--backend local|ray`` and ``--address`` into a :class:`Backend`.
Demos, evaluation and PPO's final evaluation hand it picklable job functions; PPO's rollout
actors (:mod:`agent.rollout.ray_actors`) share its Ray start-up (:func:`ray_backend.ensure_ray`).
"""

from __future__ import annotations

import argparse

from agent.backend.base import BACKENDS, Backend, BackendError, WorkerError, check_backend
from agent.backend.local import LocalBackend

BACKEND_HELP = (
    "where jobs run: local (worker processes on this machine) or ray (Ray tasks on a cluster; "
    'pip install "miniground[ray]")'
)
ADDRESS_HELP = (
    "Ray cluster address, e.g. HEAD_IP:6379 (`ray start --head` prints it); default: "
    "$RAY_ADDRESS, else start a local Ray instance with --workers CPUs"
)


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """``--backend local|ray`` and ``--address ADDR`` on a command's parser."""
    parser.add_argument("--backend", default="local", choices=BACKENDS, help=BACKEND_HELP)
    parser.add_argument("--address", default=None, metavar="ADDR", help=ADDRESS_HELP)


def make_backend(name: str = "local", workers: int = 1, address: str | None = None) -> Backend:
    """The backend called ``name``: "local" (``workers`` processes) or "ray" (at ``address``;
    none starts a local Ray instance with ``workers`` CPUs)."""
    check_backend(name)
    if name == "local":
        if address:
            raise ValueError("--address needs --backend ray")
        return LocalBackend(workers)
    from agent.backend.ray_backend import RayBackend

    return RayBackend(address=address or None, workers=workers)


__all__ = [
    "ADDRESS_HELP", "BACKENDS", "BACKEND_HELP", "Backend", "BackendError", "LocalBackend",
    "WorkerError", "add_backend_arguments", "check_backend", "make_backend",
]  # fmt: skip
