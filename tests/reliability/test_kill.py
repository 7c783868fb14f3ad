"""Fault tests: kill -9 of a command leaves no worker of ours running, and a kill during a
checkpoint write leaves the previous checkpoint loadable and ``--resume`` working."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import safetensors.torch
import torch
from procs import ROOT, alive, kill_and_check, start_cli, wait_for

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

TINY_PPO = [
    "--num_envs", "2", "--num_steps", "16", "--seq_len", "4", "--num_minibatches", "2",
    "--update_epochs", "1", "--total_steps", "1000000", "--eval_episodes", "0",
    "--checkpoint_interval", "1000000", "--agent.cnn_channels", "8", "16",
    "--agent.cnn_kernels", "5", "3", "--agent.cnn_strides", "2", "2", "--agent.text_size", "16",
    "--agent.text_layers", "1", "--agent.state_size", "32", "--agent.memory_size", "16",
    "--agent.head_hidden", "16",
]  # fmt: skip


def _progress(log: Path, total: int) -> int:
    """Largest ``n/total`` a tqdm bar printed to ``log`` so far."""
    found = re.findall(rf"(\d+)/{total}\b", log.read_text(errors="replace"))
    return max((int(n) for n in found), default=0)


def test_kill_demos_leaves_no_worker_and_no_later_shard(tmp_path: Path) -> None:
    out = tmp_path / "demos"
    log = tmp_path / "log.txt"
    proc = start_cli(["demos", "--episodes", "400", "--workers", "2", "--episodes-per-shard",
                      "1", "--out", str(out)], log)  # fmt: skip
    wait_for(lambda: len(list(out.glob("shard_*.json"))) >= 2, 120, "two finished shards", proc)
    kill_and_check(proc, min_children=2)
    shards = sorted(out.glob("shard_*"))
    time.sleep(2.0)
    assert sorted(out.glob("shard_*")) == shards, "shards were written after the kill"


def test_kill_eval_leaves_no_worker(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    proc = start_cli(["eval", "--policy", "expert", "--episodes", "400", "--workers", "2",
                      "--no-control", "--out", str(tmp_path / "eval")], log)  # fmt: skip
    wait_for(lambda: _progress(log, 400) >= 2, 120, "episodes from the workers", proc)
    kill_and_check(proc, min_children=2)
    assert not (tmp_path / "eval" / "eval_info.json").exists()


def test_kill_ppo_leaves_no_env_worker(tmp_path: Path) -> None:
    run = tmp_path / "ppo"
    log = tmp_path / "log.txt"
    proc = start_cli(["train", "ppo", *TINY_PPO, "--out", str(run)], log)
    total = 1000000 // 32 * 32 + (32 if 1000000 % 32 else 0)
    wait_for(lambda: _progress(log, total) >= 32, 180, "a first PPO rollout", proc)
    kids = kill_and_check(proc, min_children=2)  # two env workers (and the forkserver)
    assert not any(alive(k) for k in kids)


STALL = """
import sys, time
from pathlib import Path
import agent.learn.checkpoint as checkpoint

real = checkpoint.atomic_write_json
def stalling(path, obj):
    if isinstance(obj, dict) and obj.get("step") == 2:  # the training state of step 2
        Path(sys.argv[1]).write_text("stalled")
        time.sleep(600)
    return real(path, obj)
checkpoint.atomic_write_json = stalling
from agent.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.slow
def test_kill_during_checkpoint_write_keeps_the_previous_one_and_resume_works(
    tmp_path: Path, tiny_demos: Path, tiny_bc_toml: Path
) -> None:
    from agent.learn.checkpoint import latest_checkpoint
    from agent.model.agent import Agent

    run, marker = tmp_path / "run", tmp_path / "stalled"
    train = ["train", "bc", "--demos", str(tiny_demos), "--config", str(tiny_bc_toml)]
    with open(tmp_path / "log.txt", "wb") as log:
        command = [sys.executable, "-c", STALL, str(marker), *train, "--out", str(run)]
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    wait_for(marker.exists, 120, "the stalled write of checkpoint 2", proc)
    proc.kill()
    proc.wait(timeout=10)

    latest = latest_checkpoint(run)
    assert latest.name == "step_00000001"
    Agent.from_pretrained(latest)  # loadable
    assert list((run / "checkpoints").glob(".tmp_step_00000002_*")), "the write was not stalled"

    resumed = subprocess.run([sys.executable, "-m", "agent.cli", *train, "--resume", str(run)],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert latest_checkpoint(run).name == "step_00000003"

    whole = tmp_path / "whole"
    plain = subprocess.run([sys.executable, "-m", "agent.cli", *train, "--out", str(whole)],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert plain.returncode == 0, plain.stderr[-2000:]
    a = safetensors.torch.load_file(str(latest_checkpoint(run) / "model.safetensors"))
    b = safetensors.torch.load_file(str(latest_checkpoint(whole) / "model.safetensors"))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), "resumed run differs from an uninterrupted one"
