"""One planned run through the existing stages; returns the body of its record.

Agent runs: demos (``agent.rollout.demos``, cached by task, teacher, seeds and count under
``<runs>/experiment_demos/``) -> BC (``agent.learn.bc``) -> DAgger (``agent.learn.dagger``, kept
unless it lowers success on validation seeds) -> PPO (``agent.learn.ppo_run``) -> evaluation on
final-evaluation seeds with the instruction-free control (``agent.eval.evaluation.run_eval``) ->
videos (``agent.eval.video``). Baseline runs evaluate the expert or the random policy on the same
episodes. This module is part of the code hash (it decides what a run measures); the
orchestration around it (:mod:`agent.experiment.runner`) is not.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

from agent.experiment.plan import PlannedRun
from agent.experiment.provenance import git_commit, machine
from agent.experiment.records import summarize
from agent.experiment.spec import demo_first_seed, task_short
from agent.utils.configs import config_to_dict
from agent.utils.runs import make_run_dir, runs_root
from agent.utils.seeds import seed_range_name
from agent.utils.versions import versions


class _Clock:
    """Wall time of each stage of a run."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.timings: dict[str, float] = {}

    def stage(self, name: str, t0: float) -> None:
        self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - t0, 1)
        total = time.perf_counter() - self.start
        print(f"[{name}] done in {self.timings[name]:.0f}s (run total {total:.0f}s)")

    def total(self) -> dict[str, float]:
        return {**self.timings, "total": round(time.perf_counter() - self.start, 1)}


def demos_dir(run: PlannedRun) -> Path:
    """The cached demonstrations of a run (shared by runs with the same demos)."""
    d = run.config.demos
    first = demo_first_seed(run.seed)
    name = (
        f"{task_short(run.config.task)}__{d.teacher}__{first}__{d.episodes}__{d.episodes_per_shard}"
    )
    return runs_root() / "experiment_demos" / name


def _save_stage(agent: Any, run_dir: Path, stage: str) -> Path:
    return agent.save_pretrained(run_dir / "agents" / stage)


def train_agent(run: PlannedRun, run_dir: Path, clock: _Clock) -> dict[str, Any]:
    """Demos, BC, DAgger and PPO as the recipe says; the saved agent of every stage."""
    from agent.learn.bc import BCTrainer, prepare
    from agent.rollout.demos import generate_demos

    cfg = run.config
    t0 = time.perf_counter()
    demos = demos_dir(run)
    cached = (demos / "manifest.json").is_file()
    manifest = generate_demos(
        cfg.task, cfg.demos.episodes, demos, seed=demo_first_seed(run.seed),
        workers=cfg.demos.workers, episodes_per_shard=cfg.demos.episodes_per_shard,
        teacher=cfg.demos.teacher,
    )  # fmt: skip
    clock.stage("demos", t0)

    t0 = time.perf_counter()
    bc = copy.deepcopy(cfg.bc)
    bc.demos, bc.out, bc.seed = str(demos), str(run_dir), run.seed
    episodes, manifest = prepare(bc)
    trainer = BCTrainer(bc, episodes, manifest)
    trainer.fit(bc.updates)
    agents = {"bc": _save_stage(trainer.agent, run_dir, "bc")}
    clock.stage("bc", t0)

    dagger_report: list[dict[str, Any]] = []
    kept = "bc"
    if "dagger" in cfg.stages:
        from agent.learn.dagger import dagger_or_bc

        t0 = time.perf_counter()
        val = cfg.eval.validation_episodes
        dagger_report, kept_dagger = dagger_or_bc(trainer, cfg.dagger, episodes, val)
        kept = "dagger" if kept_dagger else "bc"
        agents["dagger"] = _save_stage(trainer.agent, run_dir, "dagger")
        clock.stage("dagger", t0)
    trainer.save()
    trainer.close()

    ppo_summary: dict[str, Any] = {}
    if "ppo" in cfg.stages:
        from agent.learn.ppo_run import train as train_ppo
        from agent.model.agent import Agent

        t0 = time.perf_counter()
        last = agents["dagger" if "dagger" in agents else "bc"]
        ppo_cfg = cfg.ppo.ppo_config(cfg.task, str(last), str(run_dir / "ppo"), run.seed)
        ppo_summary = train_ppo(ppo_cfg)
        agents["ppo"] = _save_stage(Agent.from_pretrained(ppo_summary["checkpoint"]), run_dir,
                                    "ppo")  # fmt: skip
        clock.stage("ppo", t0)
    return {
        "agents": agents,
        "kept": kept,
        "dagger": dagger_report,
        "demos": {
            "episodes": manifest["episodes"],
            "frames": manifest["frames"],
            "successes": manifest["successes"],
            "teacher": manifest["teacher"],
            "cached": cached,
        },  # fmt: skip
        "ppo": {"steps": ppo_summary.get("steps"), "seed": cfg.ppo.rollout_seed + run.seed}
        if ppo_summary
        else None,
    }


def seed_ranges(run: PlannedRun) -> dict[str, Any]:
    """The env seeds every stage of a run used, and the range the evaluation seeds lie in."""
    cfg = run.config
    ev = cfg.eval
    out: dict[str, Any] = {
        "eval": [ev.seed, ev.seed + ev.episodes - 1],
        "eval_range": seed_range_name(ev.seed, ev.episodes),
    }
    if run.kind == "baseline":
        return out
    first = demo_first_seed(run.seed)
    out["demos"] = [first, first + cfg.demos.episodes - 1]
    if "dagger" in cfg.stages:
        d = cfg.dagger
        out["dagger_rollouts"] = [
            d.rollout_seed,
            d.rollout_seed + d.rounds * d.episodes_per_round - 1,
        ]
        if ev.validation_episodes:
            out["validation"] = [cfg.bc.eval_seed, cfg.bc.eval_seed + ev.validation_episodes - 1]
    if "ppo" in cfg.stages:
        out["ppo_seed"] = cfg.ppo.rollout_seed + run.seed
    return out


def execute(run: PlannedRun, command: str, code: str, progress: bool = True) -> dict[str, Any]:
    """Run one planned run; return the body of its record."""
    from agent.eval.evaluation import run_eval

    clock = _Clock()
    cfg = run.config
    ev = cfg.eval
    body: dict[str, Any] = {}
    if run.kind == "baseline":
        run_dir = None
        t0 = time.perf_counter()
        results = run_eval([run.policy], cfg.task, list(ev.splits), ev.episodes, seed=ev.seed,
                           workers=ev.workers, progress=progress)  # fmt: skip
        figures = [summarize(r, "baseline") for r in results]
        clock.stage("eval", t0)
    else:
        name = f"{run.experiment.name}__{run.variant}"
        run_dir = make_run_dir(name, run.seed)
        print(f"run directory: {run_dir}")
        trained = train_agent(run, run_dir, clock)
        agents = trained.pop("agents")
        body.update(trained)
        stages = list(agents) if ev.every_stage else [list(agents)[-1]]
        t0 = time.perf_counter()
        results = run_eval([str(agents[s]) for s in stages], cfg.task, list(ev.splits),
                           ev.episodes, seed=ev.seed, workers=ev.workers, controls=ev.control,
                           progress=progress)  # fmt: skip
        by_label = {Path(str(agents[s])).name: s for s in stages}
        figures = [summarize(r, by_label[r["label"].removesuffix(" [control]")]) for r in results]
        for row in figures:
            row["policy"] = "control" if row["control"] else "agent"
        clock.stage("eval", t0)
        body["videos"] = []
        if cfg.record.episodes > 0:
            from agent.eval.video import record_episodes

            t0 = time.perf_counter()
            paths = record_episodes(str(agents[stages[-1]]), cfg.task, cfg.record.episodes,
                                    run_dir / "videos", seed=ev.seed, gif=cfg.record.gif,
                                    progress=progress)  # fmt: skip
            body["videos"] = [str(Path(p).relative_to(run_dir)) for p in paths]
            clock.stage("record", t0)
    return {
        "figures": figures,
        **body,
        "seed_ranges": seed_ranges(run),
        "timings_s": clock.total(),
        "run_dir": str(run_dir) if run_dir else None,
        "command": command,
        "code": {"hash": code, **git_commit()},
        "versions": versions(),
        "machine": machine(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": config_to_dict(cfg),
    }
