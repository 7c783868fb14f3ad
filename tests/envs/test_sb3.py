"""Stable-Baselines3 through MissionTokens: SB3's check_env on every id, the README example."""

import re
from pathlib import Path

import pytest
import torch

sb3 = pytest.importorskip("stable_baselines3")
from stable_baselines3.common.env_checker import check_env  # noqa: E402

import envs  # noqa: E402
from envs.registration import TASKS  # noqa: E402
from envs.tokens import MissionTokens  # noqa: E402

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("task_id", list(TASKS))
def test_sb3_check_env_on_every_id(task_id: str) -> None:
    env = MissionTokens(envs.make(task_id))
    with _no_warnings():
        check_env(env, warn=True)
    env.close()


class _no_warnings:
    """Fail on any warning SB3's checker raises (they flag spaces SB3 would mishandle)."""

    def __enter__(self) -> None:
        import warnings

        self._catch = warnings.catch_warnings(record=True)
        self._caught = self._catch.__enter__()
        warnings.simplefilter("always")

    def __exit__(self, *exc: object) -> None:
        self._catch.__exit__(*exc)
        messages = [str(w.message) for w in self._caught if "stable_baselines3" in w.filename]
        assert not messages, messages


def readme_example() -> str:
    """The Python block after the README's ``sb3-example`` marker."""
    text = README.read_text()
    match = re.search(r"<!-- sb3-example[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert match, "README lost its sb3-example block"
    return match.group(1)


def test_readme_example_trains_ppo() -> None:
    code = readme_example()
    for old, new in (
        ("total_timesteps=100_000", "total_timesteps=256"),
        ("n_steps=512", "n_steps=128"),
        ("verbose=1", "verbose=0"),
    ):
        assert old in code, f"the README example no longer says {old}"
        code = code.replace(old, new)
    namespace: dict = {}
    torch.set_num_threads(1)
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own README
    model, env = namespace["model"], namespace["env"]
    assert model.num_timesteps >= 256
    assert model._n_updates >= 2 * model.n_epochs  # two rollouts, each optimised
    assert env.action_space.contains(int(namespace["action"]))
    env.close()
