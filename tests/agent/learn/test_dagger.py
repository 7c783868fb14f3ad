"""DAgger rounds in which the learner acts alone and greedily, their failure report, and the
keep-or-drop choice among the validated rounds."""

from pathlib import Path

import pytest
import torch

from agent.learn.bc import BCConfig, BCTrainer, prepare
from agent.learn.dagger import DAggerConfig, dagger_or_bc, failure_counts, run_dagger
from agent.learn.ppo_config import PPOConfig
from agent.model.config import AgentConfig
from agent.rollout.demos import generate_demos
from agent.rollout.episode import RolloutResult

TASK = "MiniGround/GoToObject-v1"
SMALL = AgentConfig(cnn_channels=(8, 16), cnn_kernels=(5, 3), cnn_strides=(2, 2), state_size=32,
                    memory_size=32, text_size=32, head_hidden=32)  # fmt: skip


@pytest.fixture(scope="module")
def demos_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demos_v1")
    generate_demos(TASK, 4, out, seed=0, episodes_per_shard=2, progress=False,
                   env_kwargs={"max_steps": 40})  # fmt: skip
    return out


def _trainer(demos: Path, out: Path) -> BCTrainer:
    config = BCConfig(demos=str(demos), out=str(out), updates=2, batch_episodes=2, bptt=8,
                      threads=1, eval_interval=0, eval_episodes=2, checkpoint_interval=2,
                      log_interval=1, agent=SMALL)  # fmt: skip
    episodes, manifest = prepare(config)
    return BCTrainer(config, episodes, manifest)


def test_greedy_learner_only_rounds_report_how_collected_episodes_ended(
    demos_dir: Path, tmp_path: Path
) -> None:
    trainer = _trainer(demos_dir, tmp_path / "run")
    assert trainer.agent.config.proprioception  # -v1 demos carry prev_action and moved
    trainer.fit(2)
    cfg = DAggerConfig(rounds=2, episodes_per_round=2, updates_per_round=1, beta0=0.0,
                       sample=False)  # fmt: skip
    report = run_dagger(trainer, cfg, trainer.sampler.ep, eval_episodes=2)
    trainer.close()
    assert [row["round"] for row in report] == [0, 1, 2]
    assert "success_rate" in report[0] and "stuck_timeouts" in report[0]
    assert "success_rate" not in report[1]  # measured before the first and after the last only
    assert "success_rate" in report[2] and "state" not in report[2]
    for row in report[1:]:
        assert row["beta"] == 0.0
        assert sum(row["collect_failures"].values()) == 2
        assert row["collect_stuck_timeouts"] == row["collect_failures"].get("timeout_stuck", 0)


def test_dagger_or_bc_keeps_the_best_validated_weights(
    demos_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation 0.5 before, 0.4 after: the BC weights come back; 0.5 then 0.7: DAgger's."""
    for after, kept in ((0.4, False), (0.7, True)):
        trainer = _trainer(demos_dir, tmp_path / f"run{after}")
        rates = iter([0.5, after])

        def scripted(episodes: int, seed: int, tag: str = "eval", rates=rates) -> RolloutResult:
            rate = next(rates)
            wins = round(rate * 10)
            records = [{"outcome": "success" if i < wins else "timeout", "is_success": i < wins,
                        "failure": "success" if i < wins else "timeout_stuck"}
                       for i in range(10)]  # fmt: skip
            return RolloutResult(records)

        monkeypatch.setattr(trainer, "evaluate", scripted)
        before = {k: v.clone() for k, v in trainer.agent.state_dict().items()}
        cfg = DAggerConfig(rounds=1, episodes_per_round=1, updates_per_round=2, beta0=0.0,
                           sample=False, round_lr=1e-2)  # fmt: skip
        report, was_kept = dagger_or_bc(trainer, cfg, trainer.sampler.ep, 10)
        trainer.close()
        assert was_kept is kept
        assert report[0]["stuck_timeouts"] == 5
        same = all(torch.equal(before[k], v) for k, v in trainer.agent.state_dict().items())
        assert same is not kept


def test_failure_counts_fall_back_to_the_outcome() -> None:
    assert failure_counts(
        [{"outcome": "success"}, {"outcome": "timeout", "failure": "timeout_stuck"}]
    ) == {"success": 1, "timeout_stuck": 1}


def test_ppo_collects_labels_only_for_its_auxiliary_losses() -> None:
    assert PPOConfig(task=TASK).collect_env_kwargs()["labels"] == "none"
    with_aux = PPOConfig(task=TASK, aux_weight=0.1)
    assert with_aux.collect_env_kwargs()["labels"] == "exact"
    assert "labels" not in with_aux.env_kwargs()  # evaluation picks its own label mode
