"""torch thread counts for worker arithmetic (torch is imported only when a block needs it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def one_torch_thread(enabled: bool = True) -> Iterator[None]:
    """Run torch on one thread inside the block (a worker's arithmetic, so results match)."""
    if not enabled:
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
