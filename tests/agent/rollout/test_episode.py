"""The one episode loop: its record and statistics, and the hooks demos and DAgger plug in."""

from __future__ import annotations

import numpy as np
import pytest

from agent.data.episodes import EpisodeBuilder
from agent.rollout.episode import (
    RecordSteps,
    StepHook,
    TeacherLabels,
    TeacherPolicy,
    make_env,
    run_episode,
    run_episodes,
    spl_term,
)
from agent.rollout.expert import run_expert

TASK = "MiniGround/GoToObject-v0"


@pytest.fixture(scope="module")
def env():
    env = make_env(TASK, "train")
    yield env
    env.close()


class _Turn:
    """Always turns left (never reaches anything)."""

    attention = None

    def reset(self, seed: int) -> None:
        pass

    def act(self, obs: dict) -> int:
        return 0


def test_expert_episode_record_and_spl(env) -> None:
    record = run_episode(env, TeacherPolicy(env), 0, 5)
    assert record["outcome"] == "success" and record["is_success"]
    assert 0.5 < spl_term(record) <= 1.0
    assert spl_term({**record, "is_success": False, "outcome": "timeout"}) == 0.0
    assert spl_term({**record, "shortest_path_length": None}) == 1.0


def test_hooks_record_and_mix(env) -> None:
    builder = EpisodeBuilder()
    result = run_episodes(env, TeacherPolicy(env), [5, 6], hook=RecordSteps(builder))
    episodes = builder.build()
    assert episodes.num_episodes == 2 and episodes.num_frames == sum(result.steps)
    assert result.success_rate == 1.0

    # beta = 1: the teacher's labels are executed, so a policy that only turns still succeeds
    labelled = EpisodeBuilder()
    hook = TeacherLabels(env, "expert", 1.0, np.random.default_rng(0), labelled)
    mixed = run_episodes(env, _Turn(), [5], hook=hook)
    assert mixed.outcomes == ["success"]
    assert labelled.build().num_frames == mixed.steps[0]
    # beta = 0: labels are recorded but the policy acts
    plain = run_episodes(env, _Turn(), [5], hook=TeacherLabels(env, "expert", 0.0, None))
    assert plain.outcomes == ["timeout"]


def test_step_hook_sees_the_state_the_action_was_chosen_in(env) -> None:
    seen: list[int] = []

    class Count(StepHook):
        def step(self, obs, info, action, reward) -> None:
            seen.append(int(info["step"]))

    record = run_episode(env, TeacherPolicy(env), 0, 5, hook=Count())
    assert seen == list(range(record["steps"]))


def test_run_expert_report() -> None:
    report = run_expert(TASK, 2, seed=5)
    assert report["success_rate"] == 1.0 and report["outcomes"] == {"success": 2}
    assert report["path_length_ratio"] > 0.5 and report["failed_seeds"] == []
