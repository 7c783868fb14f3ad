"""``miniground quickstart``: the main job, end to end on the default task, on the CPU.

demos (expert/teacher, worker processes) -> behaviour cloning -> DAgger (kept only if it raises
validation success) -> evaluation on the train and heldout_combos splits -> videos -> summary.
Settings: the defaults below (shipped as ``agent/configs/quickstart.toml``, a test keeps the two
equal); any field can be overridden, e.g. ``miniground quickstart --bc.updates 500
--eval.episodes 50``, or read from ``--config FILE.toml``.
"""

from __future__ import annotations

import copy
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from agent.data.grounding_frames import GroundingConfig
from agent.experiment.provenance import code_hash, git_commit
from agent.learn.bc import BCConfig, BCTrainer, prepare
from agent.learn.dagger import DAggerConfig, dagger_or_bc
from agent.model.config import AgentConfig
from agent.rollout.demos import DemosConfig
from agent.utils.configs import Split, check_bounds, config_to_dict, parse_command
from agent.utils.io import atomic_write_json
from agent.utils.runs import check_out, make_run_dir
from agent.utils.seeds import VALIDATION_SEEDS, seed_range_name
from agent.utils.versions import versions

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "quickstart.toml"
"""The quickstart's settings as shipped in the package (equal to ``QuickstartConfig()``)."""


@dataclass
class EvalConfig:
    """Final evaluation."""

    episodes: int = 200
    """Episodes per split."""
    splits: tuple[Split, ...] = ("train", "heldout_combos")
    """Instruction splits to evaluate."""
    workers: int = 2
    """Worker processes."""
    seed: int = 2_000_000
    """First env seed (disjoint from demos, validation and DAgger seeds)."""
    validation_episodes: int = 100
    """Validation episodes deciding whether DAgger's result is kept (0: always keep)."""
    control: bool = True
    """Also evaluate with a mission that names nothing on the same layouts (the
    instruction-free control)."""
    domain_rand: bool = False
    """Also evaluate under MiniWorld's domain randomisation (rows 'SPLIT [domain_rand]')."""

    BOUNDS: ClassVar[dict[str, str]] = {
        "episodes": ">=1", "workers": ">=1", "seed": ">=0", "validation_episodes": ">=0",
    }  # fmt: skip
    """Allowed range of each numeric field (checked when the config is built)."""

    def __post_init__(self) -> None:
        check_bounds(self)


@dataclass
class RecordConfig:
    """Rollout videos."""

    episodes: int = 4
    """Episodes to record (0: none)."""
    gif: bool = False
    """Also write GIFs."""

    BOUNDS: ClassVar[dict[str, str]] = {
        "episodes": ">=0",
    }  # fmt: skip
    """Allowed range of each numeric field (checked when the config is built)."""

    def __post_init__(self) -> None:
        check_bounds(self)


@dataclass
class QuickstartConfig:
    """The main job's settings (shipped as ``agent/configs/quickstart.toml``)."""

    task: str = "MiniGround/GoToObject-v1"
    """Task id."""
    seed: int = 0
    """Seed of demos, training and the run directory name."""
    out: str = ""
    """Run directory; default runs/quickstart__<timestamp>."""
    backend: Literal["local", "ray"] = "local"
    """Where the demos and the final evaluation run: 'local' (worker processes here) or 'ray'
    (Ray tasks on a cluster; pip install "miniground[ray]")."""
    address: str = ""
    """Ray cluster address (backend 'ray'); empty: $RAY_ADDRESS, else a local Ray instance."""
    demos: DemosConfig = field(default_factory=DemosConfig)
    """Demonstrations."""
    ground: GroundingConfig = field(default_factory=GroundingConfig)
    """Captioned frames for grounding pretraining and the joint grounding loss."""
    bc: BCConfig = field(
        default_factory=lambda: BCConfig(
            updates=1500,
            eval_interval=0,
            eval_episodes=100,
            agent=AgentConfig(fusion="compositional", cnn_strides=(2, 2, 1), vision="factored"),
        )
    )
    """Behaviour cloning (its demos/out/seed are set by the quickstart)."""
    dagger: DAggerConfig = field(
        default_factory=lambda: DAggerConfig(
            rounds=2, episodes_per_round=200, updates_per_round=300, beta0=0.0, sample=False
        )
    )
    """DAgger rounds (rounds = 0 skips DAgger): the learner alone, greedy, as in evaluation."""
    eval: EvalConfig = field(default_factory=EvalConfig)
    """Final evaluation."""
    record: RecordConfig = field(default_factory=RecordConfig)
    """Videos."""

    BOUNDS: ClassVar[dict[str, str]] = {
        "seed": ">=0",
    }  # fmt: skip
    """Allowed range of each numeric field (checked when the config is built)."""

    def __post_init__(self) -> None:
        check_bounds(self)


def _backend(config: QuickstartConfig, workers: int) -> Any:
    """The backend of a stage with ``workers`` local workers (Ray: the cluster's CPUs)."""
    from agent.backend import make_backend

    return make_backend(config.backend, workers, config.address or None)


def _domain_rand_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary's rows under domain randomisation (none unless ``eval.domain_rand``)."""
    rand = [r for r in results if r.get("domain_rand")]
    if not rand:
        return {}
    return {
        "domain_rand_results": {r["split"]: r["aggregated"] for r in rand if not r.get("control")},
        "domain_rand_control_results": {
            r["split"]: r["aggregated"] for r in rand if r.get("control")
        },
    }


def run_quickstart(config: QuickstartConfig, command: str = "") -> dict[str, Any]:
    """Run every stage; return the summary (also written to ``summary.json``)."""
    from agent.eval.evaluation import run_eval
    from agent.eval.failure_table import format_failures
    from agent.eval.html_report import write_html_report
    from agent.eval.report import eval_info, format_table, format_targets, write_report
    from agent.model.card import write_card
    from agent.rollout.demos import generate_demos

    run_dir = Path(config.out) if config.out else make_run_dir("quickstart")
    run_dir.mkdir(parents=True, exist_ok=True)
    print(f"run directory: {run_dir}")
    timings: dict[str, float] = {}
    start = time.perf_counter()

    def stage(name: str, t0: float) -> None:
        timings[name] = round(time.perf_counter() - t0, 1)
        print(f"[{name}] done in {timings[name]:.0f}s (total {time.perf_counter() - start:.0f}s)")

    t0 = time.perf_counter()
    demos_dir = run_dir / "demos"
    manifest = generate_demos(
        config.task, config.demos.episodes, demos_dir, seed=config.seed,
        workers=config.demos.workers, episodes_per_shard=config.demos.episodes_per_shard,
        teacher=config.demos.teacher, backend=_backend(config, config.demos.workers),
    )  # fmt: skip
    stage("demos", t0)

    t0 = time.perf_counter()
    bc = copy.deepcopy(config.bc)
    bc.demos, bc.out, bc.seed = str(demos_dir), str(run_dir), config.seed
    episodes, manifest = prepare(bc)
    trainer = BCTrainer(bc, episodes, manifest)
    if config.ground.steps > 0 or bc.ground_weight > 0:
        from agent.data.grounding_frames import generate_frames
        from agent.learn.grounding import pretrain

        ground_start = tg = time.perf_counter()
        frames = generate_frames(config.task, config.ground)
        stage("ground_frames", tg)
        if config.ground.steps > 0:
            tg = time.perf_counter()
            pretrain(trainer.agent, frames, config.ground)
            stage("ground_pretrain", tg)
        trainer.set_grounding(frames)
        t0 += time.perf_counter() - ground_start  # the bc stage leaves the grounding time out
    trainer.fit(bc.updates)
    stage("bc", t0)

    dagger_report: list[dict[str, Any]] = []
    kept = "bc"
    if config.dagger.rounds > 0:
        t0 = time.perf_counter()
        val = config.eval.validation_episodes
        dagger_report, kept_dagger = dagger_or_bc(trainer, config.dagger, episodes, val)
        kept = "dagger" if kept_dagger else "bc"
        stage("dagger", t0)
    agent_dir = trainer.agent.save_pretrained(run_dir / "agent")
    trainer.save()
    trainer.close()

    probe = {}
    if trainer.agent.aux is not None and config.ground.probe_layouts > 0:
        from agent.eval.grounding_probe import grounding_probe

        probe = grounding_probe(trainer.agent, config.task, config.ground, config.eval.splits)
    t0 = time.perf_counter()
    results = run_eval(
        [str(agent_dir)], config.task, list(config.eval.splits), config.eval.episodes,
        seed=config.eval.seed, workers=config.eval.workers, controls=config.eval.control,
        backend=_backend(config, config.eval.workers),
        domain_rand="both" if config.eval.domain_rand else False,
    )  # fmt: skip
    info = eval_info(results, command or "miniground quickstart", seed=config.eval.seed,
                     seed_range=seed_range_name(config.eval.seed, config.eval.episodes),
                     task=config.task, episodes=config.eval.episodes)  # fmt: skip
    write_report(run_dir / "eval", info)
    stage("eval", t0)
    t0 = time.perf_counter()
    write_html_report(run_dir, info)  # report.html: tables, grids and rollout videos in one page
    write_card(agent_dir, num_parameters=trainer.agent.num_parameters())  # now with the figures
    stage("report", t0)

    videos: list[str] = []
    if config.record.episodes > 0:
        from agent.eval.video import record_episodes

        t0 = time.perf_counter()
        paths = record_episodes(
            str(agent_dir), config.task, config.record.episodes, run_dir / "videos",
            seed=config.eval.seed, gif=config.record.gif,
        )  # fmt: skip
        videos = [str(p) for p in paths]
        stage("record", t0)

    total = round(time.perf_counter() - start, 1)
    plain = [r for r in results if not r.get("domain_rand")]
    summary = {
        "run_dir": str(run_dir),
        "task": config.task,
        "agent": str(agent_dir),
        "kept": kept,
        "demos": {k: manifest[k] for k in ("episodes", "frames", "successes", "teacher")},
        "dagger": dagger_report,
        "results": {r["split"]: r["aggregated"] for r in plain if not r.get("control")},
        "control_results": {r["split"]: r["aggregated"] for r in plain if r.get("control")},
        **_domain_rand_summary(results),
        "seed_ranges": {
            "demos": [config.seed, config.seed + config.demos.episodes - 1],
            "validation": [VALIDATION_SEEDS.start, VALIDATION_SEEDS.stop - 1],
            "eval": [config.eval.seed, config.eval.seed + config.eval.episodes - 1],
            "eval_range": seed_range_name(config.eval.seed, config.eval.episodes),
        },
        "grounding_probe": probe,
        "timings_s": {**timings, "total": total},
        "videos": videos,
        "config": config_to_dict(config),
        "command": command,
        "commit": git_commit(),
        "code_hash": code_hash(),
        "versions": versions(),
    }
    atomic_write_json(run_dir / "summary.json", summary)
    print()
    print(format_table(results))
    print()
    print(format_failures(results))
    print()
    print(format_targets(results))
    print()
    print("stage timings: " + ", ".join(f"{k} {v:.0f}s" for k, v in summary["timings_s"].items()))
    for split, p in probe.items():
        print(
            f"grounding probe ({split}): target-in-view balanced accuracy "
            f"{p['balanced_accuracy']:.2f} (chance 0.50), "
            f"bearing error {p['bearing_error_deg']:.0f} deg"
        )
    print(f"agent kept: {kept}; outputs in {run_dir}")
    if config.backend == "ray":
        from agent.backend.ray_backend import shutdown_ray

        shutdown_ray()  # only a local instance this run started
    return summary


def main(argv: list[str] | None = None) -> int:
    """Parse ``--config`` and the flags, then run the quickstart."""
    argv = list(sys.argv[1:] if argv is None else argv)
    config = parse_command(QuickstartConfig, argv, "miniground quickstart", __doc__)
    check_out(config.out)
    run_quickstart(config, " ".join(["miniground", "quickstart", *argv]))
    return 0
