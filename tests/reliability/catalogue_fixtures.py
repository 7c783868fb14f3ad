"""The files and folders the catalogue's cases point at (tiny checkpoints, damaged copies)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from catalogue import TASK, TINY_AGENT, TINY_TOML, Paths


def make_fixtures(root: Path, demos: Path | None = None) -> Paths:
    """Build every file and folder the cases point at under ``root``."""
    import numpy as np
    import torch

    from agent.model.agent import Agent
    from agent.model.config import AgentConfig

    root.mkdir(parents=True, exist_ok=True)
    if demos is None:
        from agent.rollout.demos import generate_demos

        demos = root / "demos"
        generate_demos(TASK, 4, demos, seed=0, episodes_per_shard=2, progress=False,
                       env_kwargs={"max_steps": 40})  # fmt: skip
    toml = root / "tiny.toml"
    toml.write_text(TINY_TOML)
    (root / "bad_toml").write_text("[bc\nupdates = 3\n")
    (root / "typo_toml").write_text("[bc]\nchekpoint_interval = 3\n")
    (root / "notable_toml").write_text("updates = 3\n")
    (root / "type_toml").write_text('[bc]\nupdates = "ten"\n')
    (root / "file").write_text("not a folder\n")
    (root / "old_run" / "checkpoints").mkdir(parents=True, exist_ok=True)
    (root / "old_run" / "config.json").write_text("{}\n")
    ro = root / "readonly"
    ro.mkdir(exist_ok=True)
    ro.chmod(0o555)

    torch.manual_seed(0)
    ckpt = Agent(AgentConfig(num_actions=3, **TINY_AGENT)).save_pretrained(root / "ckpt")
    for name in ("ckpt_truncated", "ckpt_noconfig", "ckpt_mismatch"):
        shutil.rmtree(root / name, ignore_errors=True)
        shutil.copytree(ckpt, root / name)
    weights = root / "ckpt_truncated" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    (root / "ckpt_noconfig" / "config.json").unlink()
    config = json.loads((root / "ckpt_mismatch" / "config.json").read_text())
    config["state_size"] = 48
    (root / "ckpt_mismatch" / "config.json").write_text(json.dumps(config))

    for name in ("demos_corrupt", "demos_nomanifest", "demos_foreign", "demos_copy"):
        shutil.rmtree(root / name, ignore_errors=True)
        shutil.copytree(demos, root / name)
    shard = root / "demos_corrupt" / "shard_00000.npz"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    (root / "demos_nomanifest" / "manifest.json").unlink()
    manifest = json.loads((root / "demos_foreign" / "manifest.json").read_text())
    manifest["task"] = "MiniGround/PickupObject-v0"  # another task's manifest, same file names
    rng = np.random.default_rng(0)
    for entry in manifest["shards"]:
        entry["sha256"] = rng.bytes(32).hex()
    (root / "demos_foreign" / "manifest.json").write_text(json.dumps(manifest))
    return Paths(root, demos, ckpt, toml)
