"""Evaluation: record schema, worker-count invariance, outputs, bad input, dead workers."""

from __future__ import annotations

import csv
import json
import multiprocessing as mp
import os
from pathlib import Path

import pytest
import torch

from agent.backend.base import WorkerError
from agent.backend.local import _supervise
from agent.cli import main as cli_main
from agent.eval.evaluation import evaluate, evaluate_many
from agent.eval.metrics import OUTCOMES
from agent.eval.policies import policy_label
from agent.model.agent import Agent
from agent.model.config import AgentConfig
from agent.scripts.eval import main as eval_main
from agent.scripts.eval import parse_splits
from envs.registration import DEFAULT_TASK

TASK = "MiniGround/GoToObject-v0"
RECORD_KEYS = {
    "episode", "seed", "split", "mission", "target", "outcome", "is_success", "steps", "return",
    "path_length", "shortest_path_length", "reached", "blocked_run", "target_seen", "failure",
}  # fmt: skip


def tiny_checkpoint(path: Path, num_actions: int = 3) -> Path:
    """An untrained small agent saved as a checkpoint directory."""
    torch.manual_seed(0)
    config = AgentConfig(num_actions=num_actions, cnn_channels=(8, 16, 16), text_size=16,
                         text_layers=1, state_size=32, memory_size=16, head_hidden=16)  # fmt: skip
    return Agent(config).save_pretrained(path)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny")


def test_expert_records_schema_and_seeding() -> None:
    records = evaluate("expert", TASK, "train", episodes=2, seed=5, progress=False)
    assert [r["episode"] for r in records] == [0, 1]
    assert [r["seed"] for r in records] == [5, 6]
    for r in records:
        assert set(r) == RECORD_KEYS
        assert r["outcome"] in OUTCOMES and r["is_success"] == (r["outcome"] == "success")
        assert len(r["target"]) == 2 and r["split"] == "train"
        assert r["steps"] > 0 and r["path_length"] > 0 and r["shortest_path_length"] > 0
        if r["is_success"]:
            assert r["reached"] == r["target"] and r["failure"] == "success"
    again = evaluate("expert", TASK, "train", episodes=1, seed=6, progress=False)
    assert {**again[0], "episode": 1} == records[1]  # episode i depends only on seed + i


def test_worker_count_invariance() -> None:
    """Random actions: env seeds and policy seeds must follow the episode index, not the worker.

    Two workers run every policy x split job (one pool); each list must equal a one-process run.
    """
    kwargs = {"episodes": 4, "seed": 3, "env_kwargs": {"max_steps": 25}, "progress": False}
    pooled = evaluate_many(["random", "expert"], TASK, ["paraphrase", "train"], workers=2,
                           **kwargs)  # fmt: skip
    alone = [
        evaluate(spec, TASK, split, workers=1, **kwargs)
        for spec in ("random", "expert")
        for split in ("paraphrase", "train")
    ]
    assert pooled == alone
    assert [r["episode"] for r in pooled[0]] == [0, 1, 2, 3]
    assert {r["split"] for r in pooled[1]} == {"train"}
    assert len({(r["mission"], r["steps"], r["outcome"]) for r in alone[0]}) > 1


def test_sampled_agent_is_seeded_per_episode(checkpoint: Path) -> None:
    kwargs = {"env_kwargs": {"max_steps": 15}, "sample": True, "progress": False}
    three = evaluate(checkpoint, TASK, episodes=3, seed=3, **kwargs)
    later = evaluate(checkpoint, TASK, episodes=2, seed=4, **kwargs)
    assert [{**r, "episode": r["episode"] + 1} for r in later] == three[1:]


@pytest.mark.slow
def test_agent_worker_count_invariance(checkpoint: Path) -> None:
    """A learned agent in two spawned workers gives exactly the in-process records."""
    kwargs = {"episodes": 2, "seed": 7, "env_kwargs": {"max_steps": 12}, "sample": True,
              "progress": False}  # fmt: skip
    assert evaluate(checkpoint, TASK, workers=1, **kwargs) == evaluate(
        checkpoint, TASK, workers=2, **kwargs
    )


def test_eval_command_outputs(tmp_path: Path) -> None:
    out = tmp_path / "run"
    argv = ["--policy", "random", "--policy", "expert", "--episodes", "2", "--workers", "1",
            "--split", "train,heldout_combos", "--max-steps", "30", "--out", str(out),
            "--quiet", "--report-videos", "0"]  # fmt: skip
    assert eval_main(argv) == 0
    info = json.loads((out / "eval_info.json").read_text())
    assert info["command"].startswith("miniground eval --policy random")
    assert {"python", "torch", "gymnasium", "miniworld", "miniground"} <= set(info["versions"])
    assert info["seed"] == 2_000_000 and info["task"] == DEFAULT_TASK  # the final-evaluation range
    assert info["seed_range"] == "final evaluation"
    assert info["splits"] == ["train", "heldout_combos"]
    assert not any(r["domain_rand"] for r in info["results"]) and info["domain_rand"] == "off"
    assert [(r["label"], r["split"]) for r in info["results"]] == [
        ("random", "train"), ("random", "heldout_combos"),
        ("expert", "train"), ("expert", "heldout_combos"),
    ]  # fmt: skip
    for result in info["results"]:
        agg = result["aggregated"]
        assert {"success_rate", "success_ci95", "spl", "outcomes", "grounding_accuracy",
                "confusion", "mean_steps", "wrong_object_rate", "failures",
                "failure_rates"} <= set(agg)  # fmt: skip
        assert sum(agg["failures"].values()) == 2
        assert len(result["per_episode"]) == 2
        assert set(result["per_episode"][0]) == RECORD_KEYS
        per_target = agg["per_target"]
        assert sum(t["episodes"] for t in per_target.values()) == 2
        for name, t in per_target.items():
            assert name.split()[0] in ("blue", "green", "grey", "purple", "red", "yellow")
            low, high = t["success_ci95"]
            assert low <= t["success_rate"] <= high
    heldout = {tuple(r["target"]) for r in info["results"][1]["per_episode"]}
    assert heldout <= {("red", "ball"), ("green", "key"), ("blue", "box"), ("yellow", "key"),
                       ("purple", "ball")}  # fmt: skip
    rows = list(csv.DictReader((out / "eval.csv").open()))
    assert len(rows) == 4 and rows[0]["label"] == "random"
    episodes = list(csv.DictReader((out / "episodes.csv").open()))
    assert len(episodes) == 8 and {"failure", "blocked_run", "target_seen"} <= set(episodes[0])
    assert {"timeout_stuck", "wrong_object_seen", "domain_rand"} <= set(rows[0])
    assert (out / "eval.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<h2>Summary</h2>" in (out / "report.html").read_text()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_bad_input_gets_clear_errors(tmp_path: Path, checkpoint: Path, capsys) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        evaluate(tmp_path / "missing", TASK, episodes=1)
    with pytest.raises(ValueError, match="unknown split 'bogus'"):
        evaluate("expert", TASK, "bogus", episodes=1)
    with pytest.raises(ValueError, match="episodes must be >= 1"):
        evaluate("expert", TASK, episodes=0)
    with pytest.raises(ValueError, match="unknown task id"):
        evaluate("expert", "MiniGround/Nope-v0", episodes=1)
    with pytest.raises(ValueError, match="has 3 actions but MiniGround/PutNext-v0 has 6"):
        evaluate(checkpoint, "MiniGround/PutNext-v0", episodes=1)
    with pytest.raises(ValueError, match="unknown split 'nope'"):
        parse_splits(["train,nope"])
    assert parse_splits(["train,paraphrase", "train"]) == ["train", "paraphrase"]
    missing = str(tmp_path / "missing")
    assert cli_main(["eval", "--checkpoint", missing, "--episodes", "1"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli_main(["eval", "--policy", "expert", "--episodes", "0"]) == 2
    assert cli_main(["eval", "--policy", "expert", "--split", "bogus"]) == 2
    assert cli_main(["eval"]) == 2
    assert "nothing to evaluate" in capsys.readouterr().err


def test_worker_error_propagates_as_value_error() -> None:
    with pytest.raises(ValueError, match=r"evaluation worker \d: num_distractors must be >= 0"):
        evaluate("expert", TASK, episodes=2, workers=2, env_kwargs={"num_distractors": -1},
                 progress=False)  # fmt: skip


def test_dead_worker_is_reported_not_awaited() -> None:
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=os._exit, args=(3,), daemon=True)]
    procs[0].start()
    with pytest.raises(WorkerError, match=r"test worker 0 .*exit code 3.*0 of its 5 jobs"):
        list(_supervise(procs, results, [5], "test"))


def test_policy_label() -> None:
    assert policy_label("expert") == "expert"
    assert policy_label(Path("/runs/bc__0/checkpoint")) == "checkpoint"


def test_checkpoints_get_the_instruction_free_control(checkpoint: Path) -> None:
    """Control rows: same episodes (seeds, targets), labelled, after the agent's own rows."""
    from agent.eval.evaluation import run_eval

    results = run_eval([checkpoint, "random"], TASK, ["train", "heldout_combos"], 2,
                       seed=2_000_000, workers=1, env_kwargs={"max_steps": 10},
                       progress=False, controls=True)  # fmt: skip
    rows = [(r["label"], r["split"], r["control"]) for r in results]
    assert rows == [
        ("tiny", "train", False), ("tiny", "heldout_combos", False),
        ("tiny [control]", "train", True), ("tiny [control]", "heldout_combos", True),
        ("random", "train", False), ("random", "heldout_combos", False),
    ]  # fmt: skip
    for own, control in ((results[0], results[2]), (results[1], results[3])):
        for a, b in zip(own["per_episode"], control["per_episode"], strict=True):
            assert (a["seed"], a["target"], a["mission"]) == (b["seed"], b["target"], b["mission"])


def test_random_policy_records_how_episodes_ended() -> None:
    """A real short evaluation: every record carries the failure taxonomy's fields."""
    from agent.rollout.failures import FAILURE_KINDS, STUCK_RUN

    records = evaluate("random", TASK, "train", episodes=3, seed=11, workers=1,
                       env_kwargs={"max_steps": 30}, progress=False)  # fmt: skip
    for r in records:
        assert r["failure"] in FAILURE_KINDS
        assert r["target_seen"] in (True, False)  # the evaluator's labels say whether it was seen
        blocked = r["blocked_run"]
        assert blocked is None or 0 <= blocked <= r["steps"] < STUCK_RUN
        if r["outcome"] == "timeout":
            assert r["failure"] == ("timeout_unknown" if blocked is None else "timeout_other")
        if r["outcome"] == "wrong_object":
            assert r["failure"] == f"wrong_object_{'seen' if r['target_seen'] else 'unseen'}"


def test_domain_rand_rows(checkpoint: Path) -> None:
    """domain_rand="both": each policy and control runs its splits plainly, then randomised,
    on the same seeds and targets; labels stay the env's cheap mode either way."""
    from agent.eval.evaluation import domain_rand_modes, run_eval, with_eval_labels

    results = run_eval([checkpoint, "random"], TASK, ["train"], 2, seed=2_000_000, workers=1,
                       env_kwargs={"max_steps": 8}, progress=False, controls=True,
                       domain_rand="both")  # fmt: skip
    rows = [(r["label"], r["split"], r["control"], r["domain_rand"]) for r in results]
    assert rows == [
        ("tiny", "train", False, False), ("tiny", "train", False, True),
        ("tiny [control]", "train", True, False), ("tiny [control]", "train", True, True),
        ("random", "train", False, False), ("random", "train", False, True),
    ]  # fmt: skip
    for plain, rand in zip(results[::2], results[1::2], strict=True):
        assert [(r["seed"], r["target"]) for r in plain["per_episode"]] == [
            (r["seed"], r["target"]) for r in rand["per_episode"]
        ]
    only = run_eval(["random"], TASK, ["train"], 1, workers=1, env_kwargs={"max_steps": 4},
                    progress=False, domain_rand=True)  # fmt: skip
    assert [r["domain_rand"] for r in only] == [True]
    assert domain_rand_modes("off") == (False,) and domain_rand_modes("both") == (False, True)
    with pytest.raises(ValueError, match="domain_rand must be off, on or both"):
        domain_rand_modes("sometimes")
    with pytest.raises(ValueError, match="set domain randomisation once"):
        run_eval(["random"], TASK, ["train"], 1, env_kwargs={"domain_rand": True},
                 domain_rand="both")  # fmt: skip
    assert with_eval_labels({"labels": "exact"}) == {"labels": "exact"}  # the caller's choice wins
    assert with_eval_labels({}).get("labels") in (None, "seen")


def test_eval_command_domain_rand_both(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    argv = ["--policy", "random", "--episodes", "1", "--workers", "1", "--max-steps", "5",
            "--domain-rand", "both", "--out", str(out), "--quiet",
            "--report-videos", "0"]  # fmt: skip
    assert eval_main(argv) == 0
    text = capsys.readouterr().out
    assert "how episodes ended" in text and "train [domain_rand]" in text
    info = json.loads((out / "eval_info.json").read_text())
    assert info["domain_rand"] == "both"
    assert [(r["split"], r["domain_rand"]) for r in info["results"]] == [
        ("train", False), ("train", True),
    ]  # fmt: skip
    assert "failures" in info["results"][1]["aggregated"]
    assert "train [domain_rand]" in (out / "report.html").read_text()
