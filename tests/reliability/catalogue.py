"""The catalogue of bad input: every kind a hostile but fair user tried, what must come back.

Each :class:`Case` is one kind of bad input (or a behaviour that used to be silently wrong): a
command line, or a call into the Python API, with the exit status and a message pattern that
names the problem. ``test_catalogue.py`` asserts every case; ``measure_catalogue.py`` measures
the catalogue the way issue 16 did (each case in a fresh process, classified clear / unclear /
silent)::

    python tests/reliability/measure_catalogue.py [--root DIR]

clear: the expected status, a message matching the pattern and no traceback. silent: status 0
(or a timeout: the command went on working) where an error or a report was due. unclear: the
rest (a traceback, a wrong status, or a message that does not name the problem).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TASK = "MiniGround/GoToObject-v0"
TINY_AGENT = dict(cnn_channels=(8, 16), cnn_kernels=(5, 3), cnn_strides=(2, 2), text_size=16,
                  text_layers=1, state_size=32, memory_size=16, head_hidden=16)  # fmt: skip
TINY_TOML = """[bc]
updates = 2
batch_episodes = 2
bptt = 8
threads = 1
eval_interval = 0
eval_episodes = 1
checkpoint_interval = 1
log_interval = 1
[bc.agent]
cnn_channels = [8, 16]
cnn_kernels = [5, 3]
cnn_strides = [2, 2]
text_size = 16
text_layers = 1
state_size = 32
memory_size = 16
head_hidden = 16
"""


@dataclass(frozen=True)
class Paths:
    """The files and folders the cases point at (see :func:`make_fixtures`)."""

    root: Path
    demos: Path
    ckpt: Path
    toml: Path

    def __getattr__(self, name: str) -> Path:  # every other fixture lives under root by name
        return self.root / name


@dataclass(frozen=True)
class Case:
    """One kind of bad input and what must come back."""

    name: str
    args: Callable[[Paths], list[str]] | None
    """The command line (after ``miniground``); None for an API case."""
    code: int
    """Expected exit status (argparse, tyro and our errors all use 2)."""
    pattern: str
    """A regular expression the output must contain (case-insensitive)."""
    api: Callable[[Paths], object] | None = None
    """For an API case: the call that must raise or warn with ``pattern``."""
    isolated: bool = False
    """Runs real work (an env, training): in its own process even in the test suite."""


def _bc(p: Paths, *extra: str) -> list[str]:
    return ["train", "bc", "--demos", str(p.demos), "--config", str(p.toml), *extra]


def _eval(p: Paths, *extra: str) -> list[str]:
    return ["eval", "--episodes", "1", "--workers", "1", "--quiet", "--no-control", *extra]


def _act(mission: str) -> Callable[[Paths], object]:
    def act(p: Paths) -> object:
        import numpy as np
        import torch

        from agent.model.agent import Agent

        agent = Agent.from_pretrained(p.ckpt)
        with torch.no_grad():
            return agent.act(np.zeros((1, 60, 80, 3), np.uint8), [mission],
                             agent.initial_memory(1), [True])  # fmt: skip

    return act


def _make_env(**kwargs: object) -> Callable[[Paths], object]:
    def make(p: Paths) -> object:
        import envs

        return envs.make(TASK, **kwargs).close()

    return make


CASES: tuple[Case, ...] = (
    # ---------------------------------------------------------------- commands and help
    Case("unknown command", lambda p: ["trian", "bc"], 2, r"unknown command 'trian bc'"),
    Case("bench --help", lambda p: ["bench", "--help"], 0, r"bench envs.*bench ppo"),
    Case("train dagger --help", lambda p: ["train", "dagger", "--help"], 0, r"DAgger: roll out"),
    # ---------------------------------------------------------------- tasks, splits, counts
    Case(
        "unknown task id",
        lambda p: _eval(p, "--policy", "expert", "--task", "MiniGround/No-v0"),
        2,
        r"unknown task.*MiniGround/No-v0",
    ),  # fmt: skip
    Case(
        "unknown split",
        lambda p: _eval(p, "--policy", "expert", "--split", "tarin"),
        2,
        r"split.*tarin",
    ),
    Case(
        "zero episodes",
        lambda p: _eval(p, "--policy", "expert", "--episodes", "0"),
        2,
        r"episodes must be >= 1",
    ),
    Case(
        "zero workers",
        lambda p: _eval(p, "--policy", "expert", "--workers", "0"),
        2,
        r"workers must be >= 1",
    ),
    Case("nothing to evaluate", lambda p: ["eval"], 2, r"nothing to evaluate"),
    Case(
        "negative eval seed",
        lambda p: _eval(p, "--policy", "expert", "--seed", "-3"),
        2,
        r"seed must be >= 0",
    ),
    Case(
        "demos zero episodes",
        lambda p: ["demos", "--episodes", "0", "--out", str(p.fresh)],
        2,
        r"episodes must be >= 1",
    ),
    Case(
        "demos negative seed",
        lambda p: ["demos", "--episodes", "2", "--seed", "-1", "--out", str(p.fresh)],
        2,
        r"seed must be >= 0",
    ),  # fmt: skip
    Case(
        "PPO negative envs",
        lambda p: ["train", "ppo", "--num_envs", "-1"],
        2,
        r"num_envs must be >= 1",
    ),
    Case(
        "PPO gamma out of range",
        lambda p: ["train", "ppo", "--gamma", "1.5"],
        2,
        r"gamma must be between 0 and 1",
    ),
    Case(
        "num_distractors=2.5",
        None,
        0,
        r"num_distractors must be a whole number",
        api=_make_env(num_distractors=2.5),
    ),
    # ---------------------------------------------------------------- checkpoints
    Case(
        "missing checkpoint",
        lambda p: _eval(p, "--checkpoint", str(p.nowhere)),
        2,
        r"does not exist",
    ),
    Case("checkpoint is a file", lambda p: _eval(p, "--checkpoint", str(p.file)), 2, r"is a file"),
    Case(
        "truncated checkpoint",
        lambda p: _eval(p, "--checkpoint", str(p.ckpt_truncated)),
        2,
        r"truncated or corrupt",
    ),
    Case(
        "checkpoint without config.json",
        lambda p: _eval(p, "--checkpoint", str(p.ckpt_noconfig)),
        2,
        r"missing the file config\.json",
    ),  # fmt: skip
    Case(
        "mismatched checkpoint",
        lambda p: _eval(p, "--checkpoint", str(p.ckpt_mismatch)),
        2,
        r"do not match",
    ),
    Case(
        "checkpoint for another action set",
        lambda p: _eval(p, "--checkpoint", str(p.ckpt), "--task", "MiniGround/PutNext-v0"),
        2,
        r"has 3 actions but MiniGround/PutNext-v0 has",
    ),  # fmt: skip
    Case(
        "eval --device cuda without CUDA",
        lambda p: _eval(p, "--checkpoint", str(p.ckpt), "--device", "cuda:99"),
        2,
        r"(CUDA is not available|only \d+ GPU)",
    ),  # fmt: skip
    Case("--resume a file", lambda p: _bc(p, "--resume", str(p.file)), 2, r"is a file"),
    Case(
        "--resume a missing run", lambda p: _bc(p, "--resume", str(p.nowhere)), 2, r"does not exist"
    ),
    # ---------------------------------------------------------------- outputs
    Case(
        "eval --out is a file",
        lambda p: _eval(p, "--policy", "expert", "--out", str(p.file)),
        2,
        r"is a file, not a folder",
    ),  # fmt: skip
    Case(
        "eval --out read-only",
        lambda p: _eval(p, "--policy", "expert", "--out", str(readonly(p) / "out")),
        2,
        r"not writable",
    ),
    Case(
        "train bc --out is a file",
        lambda p: _bc(p, "--out", str(p.file)),
        2,
        r"is a file, not a folder",
    ),
    Case(
        "train bc --out read-only",
        lambda p: _bc(p, "--out", str(readonly(p) / "run")),
        2,
        r"not writable",
    ),
    Case(
        "train bc --out holds a run",
        lambda p: _bc(p, "--out", str(p.old_run)),
        2,
        r"already holds a run.*--resume",
    ),
    Case(
        "demos --out is a file",
        lambda p: ["demos", "--episodes", "2", "--out", str(p.file)],
        2,
        r"is a file, not a folder",
    ),
    # ---------------------------------------------------------------- datasets
    Case(
        "no --demos",
        lambda p: ["train", "bc", "--config", str(p.toml)],
        2,
        r"no demonstrations given",
    ),
    Case(
        "missing demos folder",
        lambda p: ["train", "bc", "--demos", str(p.nowhere), "--config", str(p.toml)],
        2,
        r"does not exist",
    ),  # fmt: skip
    Case(
        "demos without manifest",
        lambda p: ["train", "bc", "--demos", str(p.demos_nomanifest), "--config", str(p.toml)],
        2,
        r"no manifest\.json",
    ),
    Case(
        "corrupt shard",
        lambda p: ["train", "bc", "--demos", str(p.demos_corrupt), "--config", str(p.toml)],
        2,
        r"corrupt or truncated",
    ),  # fmt: skip
    Case(
        "manifest from another dataset",
        lambda p: ["train", "bc", "--demos", str(p.demos_foreign), "--config", str(p.toml)],
        2,
        r"manifest\.json does not describe the shards",
    ),  # fmt: skip
    Case(
        "demos into another dataset's folder",
        lambda p: ["demos", "--episodes", "2", "--seed", "7", "--out", str(p.demos_copy)],
        2,
        r"already holds a different dataset",
    ),  # fmt: skip
    # ---------------------------------------------------------------- config files and fields
    Case(
        "malformed TOML",
        lambda p: ["train", "bc", "--demos", str(p.demos), "--config", str(p.bad_toml)],
        2,
        r"not valid TOML",
    ),  # fmt: skip
    Case(
        "unknown key in [bc]",
        lambda p: ["train", "bc", "--demos", str(p.demos), "--config", str(p.typo_toml)],
        2,
        r"unknown config field.*chekpoint_interval",
    ),  # fmt: skip
    Case(
        "TOML without [bc]",
        lambda p: ["train", "bc", "--demos", str(p.demos), "--config", str(p.notable_toml)],
        2,
        r"no \[bc\] table",
    ),
    Case(
        "wrong type in TOML",
        lambda p: ["train", "bc", "--demos", str(p.demos), "--config", str(p.type_toml)],
        2,
        r"updates.*wrong type",
    ),
    Case("unknown flag", lambda p: _bc(p, "--learning_rate", "0.1"), 2, r"learning_rate"),
    Case(
        "quickstart typo",
        lambda p: ["quickstart", "--bc.chekpoint_interval", "3"],
        2,
        r"chekpoint_interval",
    ),
    Case("--updates 0", lambda p: _bc(p, "--updates", "0"), 2, r"updates must be >= 1"),
    Case(
        "--checkpoint_interval 0",
        lambda p: _bc(p, "--checkpoint_interval", "0"),
        2,
        r"checkpoint_interval must be >= 1",
    ),
    Case(
        "--batch_episodes 0",
        lambda p: _bc(p, "--batch_episodes", "0"),
        2,
        r"batch_episodes must be >= 1",
    ),
    Case("--bptt 0", lambda p: _bc(p, "--bptt", "0"), 2, r"bptt must be >= 1"),
    Case("train bc negative seed", lambda p: _bc(p, "--seed", "-1"), 2, r"seed must be >= 0"),
    Case(
        "train bc --device cuda without CUDA",
        lambda p: _bc(p, "--device", "cuda:99"),
        2,
        r"(CUDA is not available|only \d+ GPU)",
    ),
    Case("train bc unknown device", lambda p: _bc(p, "--device", "tpu"), 2, r"unknown device"),
    Case(
        "dagger beta0 out of range",
        lambda p: ["train", "dagger", "--demos", str(p.demos), "--beta0", "2"],
        2,
        r"beta0 must be between",
    ),
    # ---------------------------------------------------------------- behaviour
    Case(
        "final BC evaluation follows --eval_episodes",
        lambda p: _bc(p, "--eval_episodes", "1", "--out", str(p.root / "run_eval1")),
        0,
        r"final greedy success on 1 held-out seeds",
        isolated=True,
    ),  # fmt: skip
    Case(
        "instruction of unknown words",
        None,
        0,
        r"3 of the 4 words .*unknown",
        api=_act("fetch the crimson dodecahedron"),
    ),
    Case("empty instruction", None, 0, r"has no words", api=_act("")),
)
"""Every kind of bad input, in the order of the issue's list."""


def readonly(p: Paths) -> Path:
    """A folder this process cannot write: a chmod 555 folder, or /sys where we are root."""
    if os.geteuid() == 0:
        return Path("/sys")
    return p.root / "readonly"


# --------------------------------------------------------------------------- running
def run_api(case: Case, paths: Paths) -> str:
    """Call an API case; its exception and warnings as text ("" when it raised and warned
    nothing)."""
    assert case.api is not None
    text = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            case.api(paths)
        except Exception as exc:  # noqa: BLE001 - the message is what is judged
            text.append(f"{type(exc).__name__}: {exc}")
    text += [f"{w.category.__name__}: {w.message}" for w in caught]
    return "\n".join(text)


def classify(case: Case, code: int | None, output: str) -> str:
    """clear / unclear / silent (see the module docstring); ``code`` None: timed out."""
    named = re.search(case.pattern, output, re.IGNORECASE | re.DOTALL) is not None
    if case.api is not None:
        return "clear" if named else ("silent" if not output.strip() else "unclear")
    if code == case.code and named and "Traceback (most recent call last)" not in output:
        return "clear"
    if code is None or (code == 0 and (case.code != 0 or not named)):
        return "silent"
    return "unclear"
