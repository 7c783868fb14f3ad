"""Device selection: ``--device auto|cpu|cuda``."""

from __future__ import annotations

import torch

from agent.utils.errors import DeviceUnavailable

DEVICE_CHOICES: tuple[str, ...] = ("auto", "cpu", "cuda")


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """Turn a device name into a ``torch.device``.

    Args:
        name: "auto" (a CUDA GPU where present, else the CPU), "cpu", "cuda" or "cuda:N".

    Returns:
        The device.

    Raises:
        ValueError: for an unknown name.
        DeviceUnavailable: (a RuntimeError) when CUDA is asked for but not available.
    """
    if isinstance(name, torch.device):
        name = str(name)
    name = name.strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise DeviceUnavailable(
                f"device {name!r} requested but CUDA is not available "
                f"(torch {torch.__version__}); use --device cpu or --device auto"
            )
        device = torch.device(name)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceUnavailable(
                f"device {name!r} requested but only {torch.cuda.device_count()} GPU(s) are visible"
            )
        return device
    raise ValueError(f"unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}")


def check_device_name(name: str) -> str:
    """``name`` if it is a device name :func:`resolve_device` understands (availability is
    checked there); ValueError otherwise."""
    text = str(name).strip().lower()
    index = text[5:] if text.startswith("cuda:") else "0"
    if text in DEVICE_CHOICES or (text.startswith("cuda:") and index.isdigit()):
        return name
    raise ValueError(f"unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}, cuda:N")
