"""One helper seeds python's, numpy's and torch's generators (envs are seeded at reset)."""

from __future__ import annotations

import random

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed python's, numpy's and torch's generators (envs are seeded at reset)."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
