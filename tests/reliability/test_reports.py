"""Unknown words are reported (tokenizer, warning, eval records); lifelines tie workers only."""

from __future__ import annotations

import multiprocessing as mp
import warnings
from pathlib import Path

import pytest
import torch

from agent.model.text import UnknownWordsWarning, build_tokenizer, unknown_words, unreadable


def test_unknown_words_are_the_words_outside_the_vocabulary() -> None:
    tokenizer = build_tokenizer()  # the train split's words
    assert unknown_words(tokenizer, "go to the red ball") == []
    assert unknown_words(tokenizer, "fetch the crimson dodecahedron") == [
        "fetch",
        "crimson",
        "dodecahedron",
    ]
    assert unknown_words(tokenizer, "") == []
    assert unreadable("go to the red ball", []) is None
    assert unreadable("walk over to the red sphere", ["walk", "over", "sphere"]) is None
    assert "3 of the 4 words" in unreadable("fetch the crimson dodecahedron", ["a", "b", "c"])
    assert "no words" in unreadable("  ", [])


def test_agent_warns_once_per_unreadable_instruction(tmp_path: Path) -> None:
    from catalogue import TINY_AGENT

    from agent.model.agent import Agent
    from agent.model.config import AgentConfig

    agent = Agent(AgentConfig(**TINY_AGENT)).eval()
    image = torch.zeros(1, 60, 80, 3, dtype=torch.uint8)

    def act(mission: str) -> list[str]:
        with warnings.catch_warnings(record=True) as caught, torch.no_grad():
            warnings.simplefilter("always")
            agent.act(image, [mission], agent.initial_memory(1), [True])
        return [str(w.message) for w in caught if w.category is UnknownWordsWarning]

    assert act("go to the red ball") == []
    assert len(act("fetch the crimson dodecahedron")) == 1
    assert act("fetch the crimson dodecahedron") == []  # once per instruction
    assert act("") and act("?!") and not act("go to the blue key")


def test_eval_records_count_unknown_words(tmp_path: Path) -> None:
    from catalogue import TINY_AGENT

    from agent.eval.evaluation import run_eval
    from agent.model.agent import Agent
    from agent.model.config import AgentConfig

    ckpt = Agent(AgentConfig(**TINY_AGENT)).save_pretrained(tmp_path / "ckpt")
    seed = 1_100_000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownWordsWarning)
        rows = run_eval([ckpt, "expert"], "MiniGround/GoToObject-v0", ["paraphrase"], 3, seed,
                        env_kwargs={"max_steps": 5}, progress=False)  # fmt: skip
    learned, expert = rows
    tokenizer = build_tokenizer()
    expected = [len(unknown_words(tokenizer, r["mission"])) for r in learned["per_episode"]]
    assert [r["unknown_words"] for r in learned["per_episode"]] == expected
    assert sum(expected) > 0  # paraphrases use words the train split never uses
    agg = learned["aggregated"]
    assert agg["unknown_words"] == sum(expected)
    assert agg["episodes_with_unknown_words"] == sum(n > 0 for n in expected)
    assert "unknown_words" not in expert["per_episode"][0]  # baselines read no words
    assert "unknown_words" not in expert["aggregated"]


def _child(queue: mp.Queue) -> None:
    from agent.utils.lifeline import _TIED, Tied

    Tied(lambda: None)()
    queue.put(_TIED.get("pid"))


def test_tied_ties_worker_processes_only() -> None:
    import os

    from agent.utils.lifeline import _TIED, Tied

    assert Tied(lambda: 7)() == 7
    assert _TIED.get("pid") != os.getpid()  # the main process is never tied to its parent
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue,))
    proc.start()
    tied = queue.get(timeout=120)
    proc.join(timeout=30)
    assert tied == proc.pid


@pytest.mark.parametrize("value", [2.5, float("nan"), float("inf"), "3", True])
def test_counts_of_objects_must_be_whole_numbers(value: object) -> None:
    import envs

    with pytest.raises(ValueError, match="num_distractors must be a whole number"):
        envs.make("MiniGround/GoToObject-v0", num_distractors=value)
