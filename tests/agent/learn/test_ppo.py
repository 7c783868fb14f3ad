"""PPO: learning on a tiny task, fine-tuning from a checkpoint, resume, configs and the CLI."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from fakes import ChoiceEnv, sync_envs, tiny_ppo_config

from agent.learn.checkpoint import latest_checkpoint
from agent.learn.ppo import PPOTrainer
from agent.learn.ppo_config import PPOConfig, config_from_run
from agent.learn.ppo_run import learning_curve, train
from agent.model.agent import Agent
from agent.rollout.vector_env import EnvWorkerError
from agent.scripts.train_ppo import main
from agent.utils.configs import load_config

ROOT = Path(__file__).resolve().parents[3]


def _mean_return(episodes: list[dict[str, Any]]) -> float:
    return float(np.mean([e["return"] for e in episodes]))


def test_short_ppo_run_improves_return() -> None:
    # 4 of 6 seeds learn this toy within 12 updates (seeds 3 and 5 stay at chance): seed 0 does.
    cfg = tiny_ppo_config(seed=0)
    envs = sync_envs([functools.partial(ChoiceEnv, max_steps=4)] * cfg.num_envs)
    torch.manual_seed(cfg.seed)
    trainer = PPOTrainer(cfg, envs, Agent(cfg.agent))
    trainer.reset_envs()
    returns, successes = [], []
    for _ in range(cfg.num_updates):
        stats, episodes = trainer.iteration()
        assert np.isfinite(stats["policy_loss"]) and np.isfinite(stats["value_loss"])
        returns.append(_mean_return(episodes))
        successes.append(np.mean([e["is_success"] for e in episodes]))
    envs.close()
    first, last = np.mean(returns[:3]), np.mean(returns[-3:])
    # random play earns ~0.35; always choosing right on the first step earns 0.775
    assert last > first + 0.2, (first, last)
    assert np.mean(successes[-3:]) > 0.85
    assert trainer.global_step == cfg.total_steps
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(
        cfg.lr / cfg.num_updates
    )  # annealed linearly: the last update ran at 1/num_updates of the start value


def test_fine_tuning_starts_from_the_checkpoint_with_a_kl_term(tmp_path: Path) -> None:
    init = tiny_ppo_config().agent
    source = Agent(init)
    source.save_pretrained(tmp_path / "bc")
    cfg = tiny_ppo_config(init_from=str(tmp_path / "bc"), kl_coef=0.5, total_steps=4 * 16 * 2)
    from agent.learn.ppo import build_agent

    agent, ref = build_agent(cfg, num_actions=3)
    for (name, p), q in zip(agent.state_dict().items(), source.state_dict().values(), strict=True):
        assert torch.equal(p, q), name
    assert ref is not None and not any(p.requires_grad for p in ref.parameters())
    envs = sync_envs([ChoiceEnv] * cfg.num_envs)
    trainer = PPOTrainer(cfg, envs, agent, ref)
    trainer.reset_envs()
    stats, _ = trainer.iteration()
    assert 0.0 <= stats["kl_to_init"] < 0.05  # the policy starts where the checkpoint is
    stats, _ = trainer.iteration()
    assert stats["kl_to_init"] > 0.0
    envs.close()
    with pytest.raises(ValueError, match="actions"):
        build_agent(cfg, num_actions=5)


def test_critic_warmup_fits_the_value_head_and_leaves_the_policy_alone() -> None:
    cfg = tiny_ppo_config(seed=0, critic_warmup=4, total_steps=4 * 16 * 6)
    envs = sync_envs([functools.partial(ChoiceEnv, max_steps=4)] * cfg.num_envs)
    torch.manual_seed(cfg.seed)
    agent = Agent(cfg.agent)
    trainer = PPOTrainer(cfg, envs, agent)
    trainer.reset_envs()
    frozen = {n: p.detach().clone() for n, p in agent.named_parameters() if ".critic." not in n}
    critic = {n: p.detach().clone() for n, p in agent.named_parameters() if ".critic." in n}
    for _ in range(cfg.critic_warmup):
        stats, _ = trainer.iteration()
        assert stats["critic_warmup"] == 1.0 and "policy_loss" not in stats
    for name, param in agent.named_parameters():
        if name in frozen:
            assert torch.equal(param, frozen[name]), name  # the policy did not move
        else:
            assert not torch.equal(param, critic[name]), name
        assert param.requires_grad, name  # every parameter trains again afterwards
    stats, _ = trainer.iteration()  # then PPO proper: the policy moves
    assert "policy_loss" in stats
    assert any(not torch.equal(p, frozen[n]) for n, p in agent.named_parameters() if n in frozen)
    envs.close()
    with pytest.raises(ValueError, match="critic_warmup"):
        tiny_ppo_config(critic_warmup=6, total_steps=4 * 16 * 6)


def test_critic_update_fits_the_returns_of_a_rollout() -> None:
    from agent.learn.ppo import critic_update
    from agent.rollout.storage import compute_gae

    cfg = tiny_ppo_config(seed=0)
    envs = sync_envs([functools.partial(ChoiceEnv, max_steps=4)] * cfg.num_envs)
    torch.manual_seed(cfg.seed)
    agent = Agent(cfg.agent)
    trainer = PPOTrainer(cfg, envs, agent)
    trainer.reset_envs()
    rollout, _ = trainer.collector.collect(agent)
    envs.close()
    rollout.advantages, rollout.returns = compute_gae(
        rollout.rewards, rollout.values, rollout.dones, rollout.last_value, cfg.gamma,
        cfg.gae_lambda,
    )  # fmt: skip
    rng = np.random.default_rng(0)
    losses = [critic_update(agent, trainer.critic_optimizer, rollout, cfg, rng)["value_loss"]
              for _ in range(6)]  # fmt: skip
    assert losses[-1] < 0.9 * losses[0], losses  # the critic learns the policy's returns
    assert all(b <= a for a, b in zip(losses, losses[1:], strict=False)), losses


def test_aux_losses_join_the_update(make_config) -> None:
    from agent.learn.ppo import AUX_LABELS, ppo_update
    from agent.rollout.storage import Rollout

    cfg = tiny_ppo_config(num_envs=2, num_steps=8, seq_len=4, num_minibatches=2, aux_weight=0.5)
    agent = Agent(make_config(num_actions=3, aux_heads=True))
    t, b = 8, 2
    gen = torch.Generator().manual_seed(0)
    widths = {"visible_colors": (6,), "visible_shapes": (3,)}
    labels = {k: torch.rand((t, b, *widths.get(k, ())), generator=gen) for k in AUX_LABELS}
    labels["target_visible"] = (labels["target_visible"] > 0.5).float()
    rollout = Rollout(
        torch.randint(0, 256, (t, b, 60, 80, 3), dtype=torch.uint8, generator=gen),
        [["go to the red ball", "go to the blue key"]] * t, torch.zeros(t, b, dtype=torch.long),
        torch.full((t, b), -1.0986), torch.zeros(t, b), torch.zeros(t, b),
        torch.zeros(t, b, dtype=torch.bool), torch.zeros(t, b, dtype=torch.bool),
        torch.zeros(t, b, agent.initial_memory(1).shape[-1]), torch.zeros(b), labels,
    )  # fmt: skip
    rollout.advantages, rollout.returns = torch.zeros(t, b), torch.zeros(t, b)
    optimizer = torch.optim.Adam(agent.parameters(), lr=1e-3)
    first = ppo_update(agent, optimizer, rollout, cfg, np.random.default_rng(0))["aux_loss"]
    for _ in range(5):
        last = ppo_update(agent, optimizer, rollout, cfg, np.random.default_rng(0))["aux_loss"]
    assert np.isfinite(first) and last < first  # the aux heads learn the labels
    with pytest.raises(ValueError, match="aux_heads"):
        from agent.learn.ppo import build_agent

        build_agent(tiny_ppo_config(aux_weight=0.5), num_actions=3)  # TINY_AGENT has no aux heads


def test_kl_needs_an_initial_policy() -> None:
    with pytest.raises(ValueError, match="init_from"):
        tiny_ppo_config(kl_coef=0.1)
    with pytest.raises(ValueError, match="multiple of seq_len"):
        tiny_ppo_config(num_steps=10, seq_len=4)
    with pytest.raises(ValueError, match="num_minibatches"):
        tiny_ppo_config(num_minibatches=3)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_worker_failure_then_resume_continues_where_it_stopped(tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    # 4 updates of 2 envs x 8 steps; checkpoint every 2 updates; worker 0 fails in update 3
    cfg = tiny_ppo_config(num_envs=2, num_steps=8, seq_len=4, num_minibatches=2, total_steps=64,
                      checkpoint_interval=32, out=str(run))  # fmt: skip
    with pytest.raises(EnvWorkerError, match="env workers 0, 1 raised RuntimeError"):
        train(cfg, progress=False, env_fn=functools.partial(ChoiceEnv, crash_at=20))
    assert "--resume" in capsys.readouterr().err
    ckpt = latest_checkpoint(run)
    assert ckpt.name == "step_00000032"  # the last checkpoint stays valid and loadable
    stopped = Agent.from_pretrained(ckpt)
    assert json.loads((ckpt / "training_state" / "state.json").read_text())["extra"]["update"] == 2

    resumed_cfg = config_from_run(run, [])
    assert resumed_cfg == cfg
    summary = train(resumed_cfg, resume=True, progress=False, env_fn=ChoiceEnv)
    final = latest_checkpoint(run)
    assert final.name == "step_00000064" and summary["steps"] == 64
    state = json.loads((final / "training_state" / "state.json").read_text())
    assert [h["step"] for h in state["extra"]["history"]] == [16, 32, 48, 64]
    # the optimizer continued: Adam counted every minibatch step of all 4 updates
    from safetensors.torch import load_file

    opt = load_file(str(final / "training_state" / "optimizer.safetensors"))
    updates_per_rollout = cfg.update_epochs * cfg.num_minibatches
    assert float(opt["state.0.step"]) == 4 * updates_per_rollout
    assert not torch.equal(
        Agent.from_pretrained(final).policy.core.weight_hh, stopped.policy.core.weight_hh
    )
    assert (run / "curve.json").is_file() and (run / "curve.png").is_file()
    assert len(list(run.glob("events.out.tfevents.*"))) == 2  # one per session, same directory


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_time_budget_stops_after_the_rollout_past_it_and_resume_counts_earlier_time(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    cfg = tiny_ppo_config(num_envs=2, num_steps=8, seq_len=4, num_minibatches=2, total_steps=64,
                          checkpoint_interval=64, time_budget=1e-9, eval_episodes=0,
                          out=str(run))  # fmt: skip
    summary = train(cfg, progress=False, env_fn=ChoiceEnv)
    assert summary["steps"] == 16  # one rollout of 2 x 8, then the budget was spent
    assert latest_checkpoint(run).name == "step_00000016"  # checkpointed although off-interval
    first = json.loads((run / "curve.json").read_text())["points"][-1]["wall_s"]
    assert first >= 0
    # resumed with more time, it finishes; the wall clock continues from the first session
    summary = train(config_from_run(run, ["--time_budget", "60"]), resume=True, progress=False,
                    env_fn=ChoiceEnv)  # fmt: skip
    assert summary["steps"] == 64
    state = json.loads((latest_checkpoint(run) / "training_state" / "state.json").read_text())
    walls = [h["wall_s"] for h in state["extra"]["history"]]
    assert walls == sorted(walls) and walls[0] == first


def test_learning_curve_bins_episodes_by_step() -> None:
    history = [
        {"step": s, "episodes": 2, "successes": s // 20, "ret": 0.5} for s in (10, 20, 30, 40)
    ]
    points = learning_curve(history, bins=2)
    assert [p["step"] for p in points] == [20, 40]
    assert [p["success_rate"] for p in points] == [0.25, 0.75]
    assert points[0]["success_ci95"][0] < 0.25 < points[0]["success_ci95"][1]


@pytest.mark.parametrize("name", ["ppo_easy", "ppo_finetune", "ppo_scratch"])
def test_experiment_files_load(name: str) -> None:
    path = ROOT / "experiments" / f"{name}.toml"
    extra = ["--init_from", "some/bc/checkpoint"] if name == "ppo_finetune" else []
    cfg = load_config(PPOConfig, path, ["--num_envs", "2", *extra])
    assert cfg.num_envs == 2 and cfg.task.startswith("MiniGround/")


@pytest.mark.slow
def test_cli_fine_tunes_a_checkpoint_on_miniworld(tmp_path: Path, make_config) -> None:
    Agent(make_config(num_actions=3)).save_pretrained(tmp_path / "bc")  # an untrained stand-in
    run = tmp_path / "cli_run"
    argv = [
        "--task", "MiniGround/GoToObject-v0", "--init-from", str(tmp_path / "bc"),
        "--kl_coef", "0.1", "--aux_weight", "0.5", "--num-envs", "1", "--num_distractors", "1",
        "--room_size", "5", "--max_steps", "20", "--num_steps", "16", "--seq_len", "8",
        "--num_minibatches", "2", "--update_epochs", "1", "--total_steps", "48",
        "--eval_episodes", "2", "--out", str(run),
    ]  # fmt: skip
    assert main(argv) == 0
    config = json.loads((run / "config.json").read_text())["config"]
    assert config["init_from"] == str(tmp_path / "bc") and config["kl_coef"] == 0.1
    final = latest_checkpoint(run)
    assert final.name == "step_00000048"
    assert Agent.from_pretrained(final).config == Agent.from_pretrained(tmp_path / "bc").config
    info = json.loads((run / "eval_info.json").read_text())
    assert info["aggregated"]["episodes"] == 2 and len(info["per_episode"]) == 2
    assert list(run.glob("events.out.tfevents.*"))
