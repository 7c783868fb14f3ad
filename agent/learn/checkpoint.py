"""Training checkpoints: an Agent checkpoint plus ``training_state/`` for exact resumption.

Layout of ``RUN/checkpoints/step_00001000/``: ``config.json``, ``model.safetensors``, tokenizer
files (from :meth:`Agent.save_pretrained`) and ``training_state/`` holding ``optimizer.safetensors``
(tensors) and ``state.json`` (step, optimizer hyper-parameters, RNG states, trainer extras).
No pickle anywhere. A checkpoint is written into a temporary directory and renamed into place,
then ``RUN/checkpoints/latest`` (a one-line text file) is replaced atomically.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.torch
import torch

from agent.model.agent import Agent, CheckpointError
from agent.utils.io import atomic_write_bytes, atomic_write_json
from agent.utils.runs import check_out

STATE_DIR = "training_state"


def _flatten_optimizer(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, state in sd["state"].items():
        for name, value in state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{idx}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(idx), {})[name] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        _, idx, name = key.split(".", 2)
        state.setdefault(int(idx), {})[name] = value
    for idx, values in meta["scalars"].items():
        state.setdefault(int(idx), {}).update(values)
    return {"state": state, "param_groups": meta["param_groups"]}


def rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """JSON-ready states of python's, numpy's (global and ``rng``) and torch's generators."""
    py = random.getstate()
    return {
        "python": [py[0], list(py[1]), py[2]],
        "numpy_global": _np_legacy_state(),
        "generator": rng.bit_generator.state,
    }


def _np_legacy_state() -> list[Any]:
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return [name, keys.tolist(), int(pos), int(has_gauss), float(cached)]


def restore_rng(state: dict[str, Any], rng: np.random.Generator) -> None:
    """Inverse of :func:`rng_state` (torch's state travels in the safetensors file)."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy_global"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    rng.bit_generator.state = state["generator"]


def save_checkpoint(
    run_dir: str | os.PathLike,
    agent: Agent,
    optimizer: torch.optim.Optimizer,
    step: int,
    rng: np.random.Generator,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``run_dir/checkpoints/step_XXXXXXXX`` atomically and point ``latest`` at it."""
    root = Path(run_dir) / "checkpoints"
    final = root / f"step_{step:08d}"
    tmp = root / f".tmp_step_{step:08d}_{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    agent.save_pretrained(tmp)
    tensors, meta = _flatten_optimizer(optimizer)
    tensors["rng.torch"] = torch.get_rng_state()
    state_dir = tmp / STATE_DIR
    state_dir.mkdir(parents=True, exist_ok=True)
    safetensors.torch.save_file(tensors, str(state_dir / "optimizer.safetensors"))
    atomic_write_json(
        state_dir / "state.json",
        {"step": step, "optimizer": meta, "rng": rng_state(rng), "extra": extra or {}},
    )
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    atomic_write_bytes(root / "latest", (final.name + "\n").encode())
    return final


def latest_checkpoint(run_dir: str | os.PathLike) -> Path:
    """The newest checkpoint of a run directory, with a clear error when there is none."""
    root = Path(run_dir)
    if root.exists() and not root.is_dir():
        raise CheckpointError(f"{root} is a file; --resume needs a run directory")
    if not root.is_dir():
        raise CheckpointError(f"run directory {root} does not exist")
    pointer = root / "checkpoints" / "latest"
    if pointer.exists():
        path = root / "checkpoints" / pointer.read_text().strip()
        if path.is_dir():
            return path
    steps = sorted((root / "checkpoints").glob("step_*")) if (root / "checkpoints").is_dir() else []
    if not steps:
        raise CheckpointError(f"{root} holds no checkpoint (expected {root}/checkpoints/step_*)")
    return steps[-1]


def load_training_state(
    ckpt: str | os.PathLike, optimizer: torch.optim.Optimizer, rng: np.random.Generator
) -> tuple[int, dict[str, Any]]:
    """Restore optimizer and RNG states from a checkpoint; return (step, extra)."""
    state_dir = Path(ckpt) / STATE_DIR
    weights, meta_file = state_dir / "optimizer.safetensors", state_dir / "state.json"
    for f in (weights, meta_file):
        if not f.exists():
            raise CheckpointError(f"{ckpt} cannot be resumed: {f.name} is missing in {STATE_DIR}/")
    try:
        tensors = safetensors.torch.load_file(str(weights))
        meta = json.loads(meta_file.read_text())
    except Exception as exc:  # noqa: BLE001 - safetensors/json raise various errors
        raise CheckpointError(f"{state_dir} is corrupt or truncated: {exc}") from exc
    torch.set_rng_state(tensors.pop("rng.torch"))
    optimizer.load_state_dict(_unflatten_optimizer(tensors, meta["optimizer"]))
    restore_rng(meta["rng"], rng)
    return int(meta["step"]), meta.get("extra", {})


def check_run_output(out: str, resume: str | None) -> str:
    """A training command's ``out``, checked before any work: a resumed run continues in its own
    folder (which must hold a checkpoint); a new run needs a fresh, writable ``--out`` (or a
    writable runs folder)."""
    if resume:
        latest_checkpoint(resume)  # a clear error now when there is nothing to resume
        return str(resume)
    check_out(out, fresh=True)
    return out
