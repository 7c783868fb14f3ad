"""A whole PPO run: the training loop with TensorBoard logging and checkpoints (resumable), then
the learning curve (JSON + PNG), a final greedy evaluation and a one-screen summary."""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from agent.eval.metrics import OUTCOMES, aggregate, wilson_interval
from agent.learn.checkpoint import latest_checkpoint, load_training_state, save_checkpoint
from agent.learn.ppo import PPOTrainer, build_agent
from agent.learn.ppo_config import PPOConfig
from agent.model.proprio import has_proprio
from agent.rollout.vector_env import EnvWorkerError, close_envs, make_vector_env
from agent.utils.configs import config_to_dict
from agent.utils.io import atomic_write_json
from agent.utils.runs import make_run_dir
from agent.utils.seeding import seed_everything
from agent.utils.versions import versions


def learning_curve(history: list[dict[str, Any]], bins: int = 20) -> list[dict[str, Any]]:
    """Training success per bin of env steps (an episode counts in the bin where it ended)."""
    width = max(history[-1]["step"] // bins, 1) if history else 1
    sums: dict[int, dict[str, Any]] = {}
    for h in history:
        key = min(-(-h["step"] // width), bins)  # the last, rounded-up rollout joins the last bin
        p = sums.setdefault(key, {"episodes": 0, "successes": 0, "ret": 0.0})
        p["step"] = h["step"]
        if "wall_s" in h:
            p["wall_s"] = h["wall_s"]
        for k in ("episodes", "successes", "ret"):
            p[k] += h[k]
    return [
        {
            "step": p["step"],
            "episodes": p["episodes"],
            "success_rate": p["successes"] / p["episodes"] if p["episodes"] else None,
            "success_ci95": list(wilson_interval(p["successes"], p["episodes"])),
            "mean_return": p["ret"] / p["episodes"] if p["episodes"] else None,
            **({"wall_s": p["wall_s"]} if "wall_s" in p else {}),
        }
        for p in sums.values()
    ]


def plot_curve(points: list[dict[str, Any]], path: str | Path, title: str) -> None:
    """Success rate against env steps, with the Wilson 95% band, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [p for p in points if p["episodes"]]
    x = [p["step"] for p in pts]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(x, [p["success_rate"] for p in pts], marker="o", ms=3)
    low, high = ([p["success_ci95"][i] for p in pts] for i in (0, 1))
    ax.fill_between(x, low, high, alpha=0.2)
    ax.set(xlabel="env steps", ylabel="training success rate", ylim=(0, 1), title=title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _log(writer: Any, step: int, stats: dict[str, float], episodes: list, recent: Any) -> None:
    """TensorBoard scalars of one update."""
    charts = ("learning_rate", "steps_per_second", "collect_s", "update_s")
    for name, value in stats.items():
        writer.add_scalar(("charts/" if name in charts else "losses/") + name, value, step)
    tags = {"return": "episodic_return", "length": "episodic_length", "is_success": "success_rate"}
    for key, tag in tags.items():
        if episodes:
            writer.add_scalar(f"charts/{tag}", np.mean([e[key] for e in episodes]), step)
    for outcome in OUTCOMES:  # outcome breakdown over the last 100 episodes
        rate = np.mean([e["outcome"] == outcome for e in recent]) if recent else 0.0
        writer.add_scalar(f"outcomes/{outcome}", rate, step)


def train(
    cfg: PPOConfig, resume: bool = False, progress: bool = True, env_fn: Any = None
) -> dict[str, Any]:
    """Run PPO (or continue it from the run directory's last checkpoint when ``resume``).

    TensorBoard events, config.json, checkpoints, curve.json/png and eval_info.json go to the run
    directory. ``env_fn`` replaces the MiniWorld env constructor (tests). Returns a summary.
    """
    from torch.utils.tensorboard import SummaryWriter
    from tqdm import tqdm

    if cfg.address and cfg.backend != "ray":
        raise ValueError("address needs backend 'ray'")
    run_dir = Path(cfg.out) if cfg.out else make_run_dir("ppo", cfg.seed)
    ckpt = latest_checkpoint(run_dir) if resume else None
    seed_everything(cfg.seed)
    envs = pool = None
    if cfg.backend == "local":
        envs = make_vector_env(cfg.task, cfg.num_envs, cfg.collect_env_kwargs(), cfg.context,
                               env_fn)  # fmt: skip
    finished, history, sps = False, [], float("nan")
    try:
        if cfg.backend == "ray":
            pool = _ray_pool(cfg, env_fn)
        num_actions = pool.num_actions if pool else int(envs.single_action_space.n)
        proprio = pool.proprioception if pool else has_proprio(envs.single_observation_space)
        agent, ref = build_agent(cfg, num_actions, ckpt, proprio)
        if pool:
            pool.load_agent(agent)
        trainer = PPOTrainer(cfg, envs, agent, ref, collector=pool)
        if ckpt is not None:
            _, extra = load_training_state(ckpt, trainer.optimizer, trainer.rng)
            trainer.update, history = int(extra["update"]), list(extra["history"])
        else:
            run_dir.mkdir(parents=True, exist_ok=True)
            info = {"config": config_to_dict(cfg), "command": sys.argv, "versions": versions()}
            atomic_write_json(run_dir / "config.json", info)
        trainer.reset_envs()
        recent: collections.deque = collections.deque(maxlen=100)
        step0, t0 = trainer.global_step, time.time()
        wall0 = float(history[-1].get("wall_s", 0.0)) if history else 0.0  # earlier sessions
        next_ckpt = (step0 // cfg.checkpoint_interval + 1) * cfg.checkpoint_interval
        total = cfg.num_updates * cfg.batch_steps
        with (
            SummaryWriter(str(run_dir), purge_step=step0 if ckpt else None) as writer,
            tqdm(total=total, initial=step0, unit="step", desc="ppo", disable=not progress) as bar,
        ):
            while trainer.update < cfg.num_updates:
                stats, episodes = trainer.iteration()
                step, elapsed = trainer.global_step, time.time() - t0
                wall = wall0 + elapsed
                out_of_time = bool(cfg.time_budget) and wall >= cfg.time_budget * 60
                recent.extend(episodes)
                sps = (step - step0) / elapsed
                stats["steps_per_second"] = sps
                _log(writer, step, stats, episodes, recent)
                successes = sum(e["is_success"] for e in episodes)
                ret = float(sum(e["return"] for e in episodes))
                history.append({"step": step, "episodes": len(episodes), "successes": successes,
                                "ret": ret, "wall_s": round(wall, 1)})  # fmt: skip
                bar.update(cfg.batch_steps)
                rate = np.mean([e["is_success"] for e in recent]) if recent else float("nan")
                bar.set_postfix(sps=f"{sps:.0f}", success=f"{rate:.2f}", refresh=False)
                if step >= next_ckpt or trainer.update == cfg.num_updates or out_of_time:
                    extra = {"update": trainer.update, "history": history}
                    ckpt = save_checkpoint(run_dir, agent, trainer.optimizer, step, trainer.rng,
                                           extra)  # fmt: skip
                    next_ckpt = (step // cfg.checkpoint_interval + 1) * cfg.checkpoint_interval
                if out_of_time:
                    print(f"\nppo: time budget of {cfg.time_budget:g} min reached at {step} env "
                          "steps", file=sys.stderr)  # fmt: skip
                    break
        finished = True
    except EnvWorkerError:
        where = f"the last checkpoint, {ckpt}, is intact" if ckpt else "no checkpoint yet"
        print(f"\nppo: {where}; continue with: miniground train ppo --resume {run_dir}",
              file=sys.stderr)  # fmt: skip
        raise
    finally:  # after any failure or interrupt, terminate the workers rather than wait on them
        if envs is not None:
            close_envs(envs, failed=not finished)
        if pool is not None:
            pool.close(failed=not finished)
    try:
        return _finish(cfg, run_dir, ckpt, history, sps)
    finally:
        if cfg.backend == "ray":
            from agent.backend.ray_backend import shutdown_ray

            shutdown_ray()  # only a local instance this run started


def _ray_pool(cfg: PPOConfig, env_fn: Any = None) -> Any:
    """Rollout actors on Ray for ``cfg`` (:mod:`agent.rollout.ray_actors`)."""
    from agent.learn.ppo import AUX_LABELS
    from agent.rollout.ray_actors import RayRolloutPool

    return RayRolloutPool(
        cfg.task, cfg.num_envs, cfg.num_steps, cfg.collect_env_kwargs(), cfg.address or None,
        cfg.ray_actors, cfg.context, cfg.step_timeout,
        AUX_LABELS if cfg.aux_weight > 0 else (), cfg.threads, cfg.seed, env_fn,
    )  # fmt: skip


def _finish(
    cfg: PPOConfig, run_dir: Path, ckpt: Path, history: list[dict[str, Any]], sps: float
) -> dict[str, Any]:
    """Write the curve and the final greedy evaluation; print the one-screen summary."""
    points = learning_curve(history)
    curve = {"task": cfg.task, "env": cfg.env_kwargs(), "seed": cfg.seed, "points": points}
    atomic_write_json(run_dir / "curve.json", curve)
    plot_curve(points, run_dir / "curve.png", f"PPO {cfg.task} (seed {cfg.seed})")
    steps = history[-1]["step"] if history else 0
    summary: dict[str, Any] = {"run_dir": str(run_dir), "checkpoint": str(ckpt), "steps": steps}
    rows = [("run", run_dir), ("task", f"{cfg.task} {cfg.env_kwargs()}"), ("env steps", steps),
            ("steps/s (this session)", f"{sps:.0f}")]  # fmt: skip
    if points and points[-1]["episodes"]:
        rows.append(("training success (last bin)", f"{points[-1]['success_rate']:.2f}"))
    if cfg.eval_episodes:
        from agent.eval.evaluation import evaluate

        env_kwargs = {k: v for k, v in cfg.env_kwargs().items() if k != "split"}
        workers = min(cfg.num_envs, 4)
        backend = None
        if cfg.backend == "ray":
            from agent.backend import make_backend

            backend = make_backend("ray", workers, cfg.address or None)
        records = evaluate(ckpt, cfg.task, cfg.split, cfg.eval_episodes, cfg.eval_seed,
                           workers, env_kwargs, backend=backend)  # fmt: skip
        agg = summary["eval"] = aggregate(records)
        atomic_write_json(run_dir / "eval_info.json", {
            "checkpoint": str(ckpt), "task": cfg.task, "split": cfg.split, "env": env_kwargs,
            "seed": cfg.eval_seed, "policy": "greedy", "aggregated": agg, "per_episode": records,
        })  # fmt: skip
        low, high = agg["success_ci95"]
        rows.append((f"eval success (greedy, {agg['episodes']} episodes)",
                     f"{agg['success_rate']:.2f}  [{low:.2f}, {high:.2f}] 95% Wilson"))  # fmt: skip
        rows.append(("eval outcomes", ", ".join(f"{k} {v}" for k, v in agg["outcomes"].items())))
    rows.append(("checkpoint", ckpt))
    width = max(len(name) for name, _ in rows)
    print("\n" + "\n".join(f"{name:<{width}}  {value}" for name, value in rows))
    return summary
