"""Recurrent PPO (CleanRL's ppo.py is the model): clipped objective, GAE, entropy bonus, advantage
normalisation, gradient clipping and learning-rate annealing, over subprocess MiniWorld envs.

From scratch, or fine-tuning an imitation checkpoint (``--init_from DIR``) with an optional
KL(pi || pi_init) penalty (``--kl_coef``) so RL does not forget what it imitated. The rollout is
cut into sequences of ``seq_len`` steps whose first memory is the one stored during the rollout.

``miniground train ppo --config experiments/ppo_easy.toml --num_envs 2 --total_steps 200000``
``miniground train ppo --resume runs/ppo__1__20250101-120000``
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from agent.checkpoint import latest_checkpoint, load_training_state, save_checkpoint
from agent.eval.metrics import OUTCOMES, aggregate, wilson_interval
from agent.model.agent import Agent
from agent.model.config import AgentConfig
from agent.rollout.collector import RolloutCollector
from agent.rollout.storage import Rollout, compute_gae
from agent.rollout.vector_env import EnvWorkerError, close_envs, make_vector_env
from agent.utils.configs import config_to_dict, describe_fields, load_config
from agent.utils.device import resolve_device
from agent.utils.io import atomic_write_json
from agent.utils.seeding import seed_everything
from agent.utils.versions import versions

AUX_LABELS: tuple[str, ...] = (
    "target_visible", "target_bearing", "target_distance", "visible_colors", "visible_shapes",
)  # fmt: skip
"""Env info keys collected as auxiliary-loss targets when ``aux_weight`` > 0."""


@dataclass
class PPOConfig:
    """A PPO run: task, budget, PPO hyper-parameters, fine-tuning and the agent's network."""

    task: str = "MiniGround/GoToObject-v0"
    """MiniGround task id."""
    split: str = "train"
    """Instruction split to train on."""
    num_distractors: int | None = None
    """Distractor objects per episode (None: the task's default)."""
    room_size: float | None = None
    """Room side in metres (None: the task's default)."""
    max_steps: int | None = None
    """Episode step limit (None: the task's default)."""
    seed: int = 1
    """Seed of python, numpy, torch and the envs."""
    total_steps: int = 200_000
    """Env steps to train for (rounded up to whole rollouts)."""
    num_envs: int = 4
    """Parallel envs, one worker process each."""
    num_steps: int = 128
    """Steps per env in one rollout."""
    seq_len: int = 32
    """Length of the memory-carrying sequences the update backpropagates through."""
    num_minibatches: int = 4
    """Minibatches per epoch (sequences are split evenly)."""
    update_epochs: int = 3
    """Passes over each rollout."""
    learning_rate: float = 5e-4
    """Adam learning rate (start value when annealed)."""
    anneal_lr: bool = True
    """Anneal the learning rate linearly to 0 over the run."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 0.95
    """GAE lambda."""
    clip_coef: float = 0.2
    """PPO ratio clip."""
    clip_vloss: bool = True
    """Clip the value loss around the old values."""
    norm_adv: bool = False
    """Normalise advantages per minibatch (CleanRL does; with sparse rewards it turns the noise of
    reward-free minibatches into unit-size gradients, and entropy collapsed without progress)."""
    ent_coef: float = 0.01
    """Entropy bonus coefficient."""
    vf_coef: float = 0.5
    """Value loss coefficient."""
    max_grad_norm: float = 0.5
    """Global gradient-norm clip."""
    target_kl: float | None = None
    """Stop an update's epochs early when the approximate KL exceeds this (None: never)."""
    aux_weight: float = 0.0
    """Weight of the auxiliary losses on privileged labels from env info (target visible,
    bearing, distance; colours and shapes in view), as in BC; 0 disables them."""
    init_from: str | None = None
    """Checkpoint directory to start from (e.g. a BC agent); None trains from scratch."""
    kl_coef: float = 0.0
    """Weight of KL(pi || pi_init) against the initial policy (needs init_from)."""
    checkpoint_interval: int = 50_000
    """Env steps between checkpoints (a final one is always written)."""
    eval_episodes: int = 100
    """Greedy evaluation episodes at the end (0: none)."""
    eval_seed: int = 100_000
    """Env seed of the first evaluation episode."""
    run_dir: str | None = None
    """Run directory (None: runs/ppo__<seed>__<timestamp>)."""
    torch_threads: int = 1
    """Learner threads while envs step (the workers need the other cores)."""
    update_threads: int = 1
    """Learner threads during the update (2 helps only on idle cores: on a loaded 2-core
    machine, 2 threads made the update 15x slower)."""
    context: str = "forkserver"
    """Start method of the env workers: 'forkserver' or 'spawn'."""
    step_timeout: float = 300.0
    """Seconds an env worker may take for one step before it counts as hung."""
    device: str = "cpu"
    """Learner device: 'cpu', 'cuda' or 'auto'."""
    agent: AgentConfig = field(default_factory=AgentConfig)
    """The agent's network (ignored with init_from or on resume: the checkpoint's is used)."""

    def __post_init__(self) -> None:
        for name in ("total_steps", "num_envs", "num_steps", "seq_len", "num_minibatches",
                     "update_epochs", "checkpoint_interval"):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.num_steps % self.seq_len:
            raise ValueError(f"num_steps ({self.num_steps}) must be a multiple of seq_len")
        sequences = self.num_steps // self.seq_len * self.num_envs
        if sequences % self.num_minibatches:
            raise ValueError(
                f"num_minibatches ({self.num_minibatches}) must divide the {sequences} sequences "
                "of a rollout (num_steps / seq_len * num_envs)"
            )
        if self.kl_coef and not self.init_from:
            raise ValueError("kl_coef > 0 needs init_from (the policy to stay close to)")

    def env_kwargs(self) -> dict[str, Any]:
        """``envs.make`` keyword arguments of this run."""
        kwargs: dict[str, Any] = {"split": self.split}
        for name in ("num_distractors", "room_size", "max_steps"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        return kwargs

    @property
    def batch_steps(self) -> int:
        """Env steps per rollout."""
        return self.num_envs * self.num_steps

    @property
    def num_updates(self) -> int:
        """Rollouts (and updates) in the run."""
        return -(-self.total_steps // self.batch_steps)


# ------------------------------------------------------------------------------------ update
def _sequences(x: torch.Tensor | np.ndarray, seq_len: int) -> Any:
    """(T, B, ...) -> (seq_len, T // seq_len * B, ...); sequence k = chunk k // B of env k % B."""
    t_len, batch = x.shape[:2]
    x = x.reshape(t_len // seq_len, seq_len, batch, *x.shape[2:])
    x = x.swapaxes(0, 1) if isinstance(x, np.ndarray) else x.transpose(0, 1)
    return x.reshape(seq_len, -1, *x.shape[3:])


def ppo_update(
    agent: Agent,
    optimizer: torch.optim.Optimizer,
    rollout: Rollout,
    cfg: PPOConfig,
    rng: np.random.Generator,
    ref_logits: torch.Tensor | None = None,
) -> dict[str, float]:
    """Clipped-PPO epochs over one rollout (with GAE already computed); returns loss statistics."""
    dev, seq = agent.device, cfg.seq_len
    images = _sequences(rollout.images, seq)
    missions = _sequences(np.asarray(rollout.missions, dtype=object), seq)
    actions, starts = _sequences(rollout.actions, seq), _sequences(rollout.episode_starts, seq)
    old_log_probs, old_values = _sequences(rollout.log_probs, seq), _sequences(rollout.values, seq)
    advantages, returns = _sequences(rollout.advantages, seq), _sequences(rollout.returns, seq)
    memory0 = rollout.memories[::seq].reshape(-1, rollout.memories.shape[-1])
    refs = None if ref_logits is None else _sequences(ref_logits, seq)
    labels = {k: _sequences(v, seq) for k, v in rollout.labels.items()}
    num_seq = actions.shape[1]
    per_batch = num_seq // cfg.num_minibatches
    logs: dict[str, list[float]] = collections.defaultdict(list)
    for _epoch in range(cfg.update_epochs):
        order = rng.permutation(num_seq)
        for start in range(0, num_seq, per_batch):
            idx = order[start : start + per_batch]
            tidx = torch.as_tensor(idx)
            out = agent.evaluate_sequence(
                images[:, tidx], missions[:, idx].tolist(), actions[:, tidx].to(dev),
                starts[:, tidx].to(dev), memory0[tidx].to(dev),
            )  # fmt: skip
            log_ratio = out.log_prob - old_log_probs[:, tidx].to(dev)
            ratio = log_ratio.exp()
            with torch.no_grad():  # http://joschu.net/blog/kl-approx.html
                logs["old_approx_kl"].append(float((-log_ratio).mean()))
                logs["approx_kl"].append(float(((ratio - 1) - log_ratio).mean()))
                logs["clipfrac"].append(float(((ratio - 1).abs() > cfg.clip_coef).float().mean()))

            adv = advantages[:, tidx].to(dev)
            if cfg.norm_adv:
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            pg_loss = torch.max(
                -adv * ratio, -adv * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)
            ).mean()

            ret, old_v = returns[:, tidx].to(dev), old_values[:, tidx].to(dev)
            v_loss = (out.value - ret) ** 2
            if cfg.clip_vloss:
                v_clipped = old_v + (out.value - old_v).clamp(-cfg.clip_coef, cfg.clip_coef)
                v_loss = torch.max(v_loss, (v_clipped - ret) ** 2)
            v_loss = 0.5 * v_loss.mean()

            entropy = out.entropy.mean()
            loss = pg_loss - cfg.ent_coef * entropy + cfg.vf_coef * v_loss
            if refs is not None:  # KL(pi || pi_init) on the visited states
                log_p = F.log_softmax(out.logits, -1)
                log_q = F.log_softmax(refs[:, tidx].to(dev), -1)
                kl_init = (log_p.exp() * (log_p - log_q)).sum(-1).mean()
                loss = loss + cfg.kl_coef * kl_init
                logs["kl_to_init"].append(float(kl_init.detach()))
            if cfg.aux_weight > 0:  # privileged auxiliary losses shape the perception
                from agent.model.aux import aux_losses

                mb_labels = {k: v[:, tidx].to(dev) for k, v in labels.items()}
                every = torch.ones_like(log_ratio, dtype=torch.bool)
                aux_loss = sum(aux_losses(out.aux, mb_labels, every).values())
                loss = loss + cfg.aux_weight * aux_loss
                logs["aux_loss"].append(float(aux_loss.detach()))

            optimizer.zero_grad()
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(agent.parameters(), cfg.max_grad_norm)
            optimizer.step()
            for name, value in (("policy_loss", pg_loss), ("value_loss", v_loss),
                                ("entropy", entropy), ("grad_norm", grad_norm)):  # fmt: skip
                logs[name].append(float(value.detach()))
        if cfg.target_kl is not None and logs["approx_kl"][-1] > cfg.target_kl:
            break
    stats = {name: float(np.mean(values)) for name, values in logs.items()}
    y_pred, y_true = rollout.values.flatten(), rollout.returns.flatten()
    var_y = float(y_true.var())
    stats["explained_variance"] = (
        float("nan") if var_y == 0 else 1 - float((y_true - y_pred).var()) / var_y
    )
    return stats


# ----------------------------------------------------------------------------------- trainer
class PPOTrainer:
    """Envs + agent + optimizer; :meth:`iteration` = one rollout, GAE and one PPO update.

    Args:
        cfg: the run's configuration.
        envs: a SAME_STEP vector env (see :func:`agent.rollout.make_vector_env`).
        agent: the agent to train (set to train mode).
        ref_agent: frozen initial policy for the KL term (None: no KL term).
        update: index of the first update (non-zero on resume).
    """

    def __init__(
        self,
        cfg: PPOConfig,
        envs: Any,
        agent: Agent,
        ref_agent: Agent | None = None,
        update: int = 0,
    ) -> None:
        self.cfg, self.envs, self.agent, self.ref_agent = cfg, envs, agent.train(), ref_agent
        self.optimizer = torch.optim.Adam(agent.parameters(), lr=cfg.learning_rate, eps=1e-5)
        self.rng = np.random.default_rng(cfg.seed)
        self.update = update
        keys = AUX_LABELS if cfg.aux_weight > 0 else ()
        self.collector = RolloutCollector(envs, cfg.num_steps, cfg.step_timeout, keys)
        self.ref_memory = None if ref_agent is None else ref_agent.initial_memory(cfg.num_envs)

    @property
    def global_step(self) -> int:
        """Env steps taken so far."""
        return self.update * self.cfg.batch_steps

    def reset_envs(self) -> None:
        """Reset every env with seeds derived from (seed, global_step) (a resume gets new ones)."""
        seq = np.random.SeedSequence([self.cfg.seed, self.global_step])
        self.collector.reset(list(seq.generate_state(self.cfg.num_envs) % 2**31))

    def iteration(self) -> tuple[dict[str, float], list[dict[str, Any]]]:
        """Collect one rollout and update on it; returns (statistics, ended episodes)."""
        cfg = self.cfg
        if cfg.anneal_lr:
            self.optimizer.param_groups[0]["lr"] = (
                1.0 - self.update / cfg.num_updates
            ) * cfg.learning_rate
        torch.set_num_threads(cfg.torch_threads)
        start = time.perf_counter()
        rollout, episodes = self.collector.collect(self.agent)
        collect_s = time.perf_counter() - start
        torch.set_num_threads(cfg.update_threads)
        rollout.advantages, rollout.returns = compute_gae(
            rollout.rewards, rollout.values, rollout.dones, rollout.last_value,
            cfg.gamma, cfg.gae_lambda,
        )  # fmt: skip
        ref_logits = None
        if self.ref_agent is not None:
            with torch.no_grad():
                ref = self.ref_agent.evaluate_sequence(
                    rollout.images, rollout.missions, rollout.actions, rollout.episode_starts,
                    self.ref_memory,
                )  # fmt: skip
            ref_logits, self.ref_memory = ref.logits, ref.memory
        stats = ppo_update(self.agent, self.optimizer, rollout, cfg, self.rng, ref_logits)
        self.update += 1
        stats.update(
            learning_rate=self.optimizer.param_groups[0]["lr"],
            collect_s=collect_s,
            update_s=time.perf_counter() - start - collect_s,
        )
        return stats, episodes


def build_agent(
    cfg: PPOConfig, num_actions: int, resume_from: Path | None = None
) -> tuple[Agent, Agent | None]:
    """The agent to train (fresh, from ``init_from`` or a resumed checkpoint) and the frozen
    initial policy for the KL term (None when ``kl_coef`` is 0)."""
    device = resolve_device(cfg.device)
    source = resume_from or cfg.init_from
    if source:
        agent = Agent.from_pretrained(source, device=device)
    else:
        agent = Agent(dataclasses.replace(cfg.agent, num_actions=num_actions)).to(device)
    if agent.config.num_actions != num_actions:
        raise ValueError(
            f"{source} has {agent.config.num_actions} actions but {cfg.task} has {num_actions}"
        )
    if cfg.aux_weight > 0 and not agent.config.aux_heads:
        raise ValueError("aux_weight > 0 needs an agent with aux_heads = true")
    ref = None
    if cfg.kl_coef > 0:
        ref = Agent.from_pretrained(cfg.init_from, device=device).requires_grad_(False)
    return agent, ref


# ------------------------------------------------------------------------------------- a run
def learning_curve(history: list[dict[str, Any]], bins: int = 20) -> list[dict[str, Any]]:
    """Training success per bin of env steps (an episode counts in the bin where it ended)."""
    width = max(history[-1]["step"] // bins, 1) if history else 1
    sums: dict[int, dict[str, Any]] = {}
    for h in history:
        key = min(-(-h["step"] // width), bins)  # the last, rounded-up rollout joins the last bin
        p = sums.setdefault(key, {"episodes": 0, "successes": 0, "ret": 0.0})
        p["step"] = h["step"]
        for k in ("episodes", "successes", "ret"):
            p[k] += h[k]
    return [
        {
            "step": p["step"],
            "episodes": p["episodes"],
            "success_rate": p["successes"] / p["episodes"] if p["episodes"] else None,
            "success_ci95": list(wilson_interval(p["successes"], p["episodes"])),
            "mean_return": p["ret"] / p["episodes"] if p["episodes"] else None,
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

    run_dir = Path(cfg.run_dir or f"runs/ppo__{cfg.seed}__{time.strftime('%Y%m%d-%H%M%S')}")
    ckpt = latest_checkpoint(run_dir) if resume else None
    seed_everything(cfg.seed)
    envs = make_vector_env(cfg.task, cfg.num_envs, cfg.env_kwargs(), cfg.context, env_fn)
    finished, history, sps = False, [], float("nan")
    try:
        agent, ref = build_agent(cfg, int(envs.single_action_space.n), ckpt)
        trainer = PPOTrainer(cfg, envs, agent, ref)
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
        next_ckpt = (step0 // cfg.checkpoint_interval + 1) * cfg.checkpoint_interval
        total = cfg.num_updates * cfg.batch_steps
        with (
            SummaryWriter(str(run_dir), purge_step=step0 if ckpt else None) as writer,
            tqdm(total=total, initial=step0, unit="step", desc="ppo", disable=not progress) as bar,
        ):
            while trainer.update < cfg.num_updates:
                stats, episodes = trainer.iteration()
                step = trainer.global_step
                recent.extend(episodes)
                sps = (step - step0) / (time.time() - t0)
                stats["steps_per_second"] = sps
                _log(writer, step, stats, episodes, recent)
                successes = sum(e["is_success"] for e in episodes)
                ret = float(sum(e["return"] for e in episodes))
                history.append({"step": step, "episodes": len(episodes), "successes": successes,
                                "ret": ret})  # fmt: skip
                bar.update(cfg.batch_steps)
                rate = np.mean([e["is_success"] for e in recent]) if recent else float("nan")
                bar.set_postfix(sps=f"{sps:.0f}", success=f"{rate:.2f}")
                if step >= next_ckpt or trainer.update == cfg.num_updates:
                    extra = {"update": trainer.update, "history": history}
                    ckpt = save_checkpoint(run_dir, agent, trainer.optimizer, step, trainer.rng,
                                           extra)  # fmt: skip
                    next_ckpt = (step // cfg.checkpoint_interval + 1) * cfg.checkpoint_interval
        finished = True
    except EnvWorkerError:
        where = f"the last checkpoint, {ckpt}, is intact" if ckpt else "no checkpoint yet"
        print(f"\nppo: {where}; continue with: miniground train ppo --resume {run_dir}",
              file=sys.stderr)  # fmt: skip
        raise
    finally:  # after any failure or interrupt, terminate the workers rather than wait on them
        close_envs(envs, failed=not finished)
    return _finish(cfg, run_dir, ckpt, history, sps)


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
        records = evaluate(ckpt, cfg.task, cfg.split, cfg.eval_episodes, cfg.eval_seed,
                           workers, env_kwargs)  # fmt: skip
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


# -------------------------------------------------------------------------------- entry point
def config_from_run(run_dir: str | Path, overrides: list[str]) -> PPOConfig:
    """A run's saved ``config.json``, with command-line overrides on top."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"cannot resume: {path} does not exist")
    argv: list[str] = []

    def flatten(tree: dict[str, Any], prefix: str = "") -> None:
        for key, value in tree.items():
            if isinstance(value, dict):
                flatten(value, f"{prefix}{key}.")
            else:
                text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
                argv.extend([f"--{prefix}{key}", text])

    flatten(json.loads(path.read_text())["config"])
    return load_config(PPOConfig, None, argv + overrides)


def main(argv: list[str] | None = None) -> int:
    """``miniground train ppo [--config TOML] [--resume RUN_DIR] [--field value ...]``."""
    parser = argparse.ArgumentParser(
        prog="miniground train ppo",
        description="Recurrent PPO on parallel MiniWorld envs, from scratch or a checkpoint.",
        epilog="config fields (--field value, --agent.field value; dashes work too):\n"
        + describe_fields(PPOConfig),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", help="TOML experiment file (e.g. experiments/ppo_easy.toml)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue from the last checkpoint")
    args, overrides = parser.parse_known_args(argv)
    if args.resume:
        cfg = config_from_run(args.resume, overrides)
        cfg.run_dir = str(args.resume)
    else:
        cfg = load_config(PPOConfig, args.config, overrides)
    try:
        train(cfg, resume=bool(args.resume))
    except EnvWorkerError as exc:
        print(f"miniground train ppo: error: {exc}", file=sys.stderr)
        return 1
    return 0
