"""The backend interface without Ray: local workers, choices, and the missing-Ray error."""

from __future__ import annotations

import operator
import sys
from pathlib import Path

import pytest

from agent.backend import BackendError, LocalBackend, make_backend
from agent.cli import main as cli_main


@pytest.mark.parametrize("workers", [1, 2])
def test_local_backend_runs_every_job_once(workers: int) -> None:
    with LocalBackend(workers) as backend:
        results = dict(backend.run(operator.add, [1, 2, 3, 4, 5], shared=10))
    assert results == {0: 11, 1: 12, 2: 13, 3: 14, 4: 15}


def test_local_worker_value_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"test worker 1: .*not in sequence"):
        list(LocalBackend(2).run(operator.indexOf, ["a", "z"], shared="abc", what="test"))


def test_bad_backend_choices() -> None:
    with pytest.raises(BackendError, match="unknown backend 'slurm'; choose from local, ray"):
        make_backend("slurm")
    with pytest.raises(ValueError, match="--address needs --backend ray"):
        make_backend("local", 1, "10.0.0.1:6379")
    with pytest.raises(ValueError, match="workers must be >= 1"):
        LocalBackend(0)


def test_ray_missing_is_a_clear_error(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(BackendError, match=r'pip install "miniground\[ray\]"'):
        make_backend("ray", 2)
    argv = ["demos", "--episodes", "2", "--out", str(tmp_path / "d"), "--backend", "ray"]
    assert cli_main(argv) == 2
    assert 'needs Ray, which is not installed here: pip install "miniground[ray]"' in (
        capsys.readouterr().err
    )
    assert cli_main(["eval", "--policy", "expert", "--episodes", "1", "--backend", "ray"]) == 2
    assert 'pip install "miniground[ray]"' in capsys.readouterr().err

    from fakes import ChoiceEnv, tiny_ppo_config

    from agent.learn.ppo_run import train

    with pytest.raises(BackendError, match=r'pip install "miniground\[ray\]"'):
        train(tiny_ppo_config(backend="ray", out=str(tmp_path / "ppo")), progress=False,
              env_fn=ChoiceEnv)  # fmt: skip
