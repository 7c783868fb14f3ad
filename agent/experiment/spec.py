"""Experiment files: the recipe of one run (``RunConfig``), the TOML schema, budgets and the plan.

An experiment is a TOML file in ``experiments/``::

    title = "Fusion ablation"           # heading in RESULTS.md
    order = 2                           # position in RESULTS.md
    description = "..."                 # what it measures (one paragraph)
    seeds = 1                           # training seeds 0 .. K-1 (``--seeds K`` overrides)
    baselines = ["expert", "random"]    # evaluated once per task, on the same episodes
    plot = "bars"                       # "bars" (one bar per variant) or "curve" (x = variant.x)
    x_label = ""                        # the curve's x axis
    [recipe]                            # RunConfig fields shared by every variant
    [[variants]]                        # one per row: a name, an optional x, and overrides
    name = "concat"
    set = { bc = { agent = { fusion = "concat" } } }

Every key is checked strictly (unknown keys, wrong types, bad choices, seeds outside their range
raise a ValueError naming the field). ``--budget smoke`` shrinks every count so the same code
runs in seconds; ``--budget full`` is what committed records are made with.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent.learn.bc import BCConfig
from agent.learn.dagger import DAggerConfig
from agent.learn.ppo_config import PPOConfig
from agent.model.config import AgentConfig
from agent.rollout.demos import DemosConfig
from agent.utils.configs import Split, config_to_dict, from_values, read_toml
from agent.utils.seeds import FINAL_EVAL_SEEDS, VALIDATION_SEEDS
from envs.registration import check_task

Stage = Literal["bc", "dagger", "ppo"]
"""Training stages, in the order they run."""
Budget = Literal["smoke", "full"]
"""``full``: the experiment as written; ``smoke``: every count shrunk to run in seconds."""
BUDGETS: tuple[str, ...] = ("smoke", "full")
DEMO_SEED_STRIDE = 100_000
"""Training seed ``s`` records its demos on env seeds ``s * DEMO_SEED_STRIDE ..`` (disjoint)."""
ALL_SPLITS: tuple[Split, ...] = ("train", "heldout_combos", "paraphrase")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class RunEvalConfig:
    """Final evaluation of a run (on final-evaluation seeds) with the instruction-free control."""

    episodes: int = 200
    """Episodes per split."""
    splits: tuple[Split, ...] = ALL_SPLITS
    """Instruction splits to evaluate."""
    workers: int = 2
    """Worker processes."""
    seed: int = FINAL_EVAL_SEEDS.start
    """First env seed (final-evaluation range)."""
    validation_episodes: int = 100
    """Validation episodes deciding whether DAgger's result is kept (0: always keep)."""
    control: bool = True
    """Also evaluate the agent reading a mission that names nothing, on the same layouts."""
    every_stage: bool = False
    """Evaluate the agent after every training stage (else only the last one)."""


@dataclass
class RecordConfig:
    """Rollout videos of the final agent (kept in the run directory)."""

    episodes: int = 2
    """Episodes to record (0: none)."""
    gif: bool = False
    """Also write GIFs."""


@dataclass
class PPOStageConfig:
    """PPO fine-tuning of the imitation agent (the ``ppo`` stage; ``experiments/ppo_finetune``)."""

    total_steps: int = 102_400
    """Env steps of PPO."""
    num_envs: int = 4
    """Parallel envs, one worker process each."""
    num_steps: int = 128
    """Steps per env in one rollout."""
    seq_len: int = 32
    """Length of the memory-carrying sequences."""
    num_minibatches: int = 4
    """Minibatches per epoch."""
    update_epochs: int = 3
    """Passes over each rollout."""
    lr: float = 3e-4
    """Adam learning rate."""
    ent_coef: float = 0.003
    """Entropy bonus coefficient."""
    kl_coef: float = 0.02
    """Weight of KL(pi || pi_imitation)."""
    target_kl: float | None = 0.03
    """Early stop of an update's epochs above this approximate KL (None: never)."""
    critic_warmup: int = 4
    """Rollouts in which only the critic learns, before the policy moves."""
    rollout_seed: int = 4_000_000
    """Env seed of PPO's envs (training data: disjoint from validation and final seeds)."""

    def ppo_config(self, task: str, init_from: str, out: str, seed: int) -> PPOConfig:
        """The PPOConfig of this stage (validated)."""
        values = {k: v for k, v in dataclasses.asdict(self).items() if k != "rollout_seed"}
        return PPOConfig(
            task=task, init_from=init_from, out=out, seed=self.rollout_seed + seed,
            eval_episodes=0, checkpoint_interval=self.total_steps, **values,
        )  # fmt: skip


def _default_bc() -> BCConfig:
    return BCConfig(updates=1500, eval_interval=0, eval_episodes=100,
                    agent=AgentConfig(fusion="compositional", cnn_strides=(2, 2, 1)))  # fmt: skip


@dataclass
class RunConfig:
    """The recipe of one run: demos -> BC -> DAgger -> PPO -> evaluation -> videos (defaults:
    the quickstart's recipe, on every split)."""

    task: str = "MiniGround/GoToObject-v0"
    """Task id."""
    stages: tuple[Stage, ...] = ("bc", "dagger")
    """Training stages, in order (bc first)."""
    demos: DemosConfig = field(default_factory=DemosConfig)
    """Demonstrations (env seeds from seed * 100,000)."""
    bc: BCConfig = field(default_factory=_default_bc)
    """Behaviour cloning (its demos/out/seed are set by the runner)."""
    dagger: DAggerConfig = field(
        default_factory=lambda: DAggerConfig(
            rounds=1, episodes_per_round=300, updates_per_round=300
        )  # fmt: skip
    )
    """DAgger rounds (the ``dagger`` stage)."""
    ppo: PPOStageConfig = field(default_factory=PPOStageConfig)
    """PPO fine-tuning (the ``ppo`` stage)."""
    eval: RunEvalConfig = field(default_factory=RunEvalConfig)
    """Final evaluation."""
    record: RecordConfig = field(default_factory=RecordConfig)
    """Videos (kept in the run directory, listed in the record)."""


@dataclass
class Header:
    """The top-level keys of an experiment file (besides ``recipe`` and ``variants``)."""

    title: str = ""
    """Heading in RESULTS.md."""
    order: int = 99
    """Position in RESULTS.md."""
    description: str = ""
    """What the experiment measures."""
    seeds: int = 1
    """Training seeds 0 .. seeds-1."""
    baselines: tuple[Literal["expert", "random"], ...] = ("expert", "random")
    """Baseline policies evaluated once per task on the same episodes."""
    plot: Literal["bars", "curve"] = "bars"
    """How RESULTS.md plots it."""
    x_label: str = ""
    """The x axis of a curve."""


@dataclass
class Variant:
    """One row of an experiment: a name, an optional x value and its recipe."""

    name: str
    x: float | None
    config: RunConfig
    overrides: dict[str, Any]


@dataclass
class Experiment:
    """A loaded experiment file."""

    name: str
    path: Path
    header: Header
    recipe: RunConfig
    variants: list[Variant]

    def meta(self) -> dict[str, Any]:
        """What a record carries about its experiment (RESULTS.md is built from records)."""
        return {"name": self.name, **config_to_dict(self.header)}


def is_experiment_file(path: str | Path) -> bool:
    """Whether a TOML file defines an experiment (it has ``[[variants]]``)."""
    return "variants" in read_toml(path)


def task_short(task: str) -> str:
    """'MiniGround/GoToObject-v0' -> 'GoToObject'."""
    return task.split("/")[-1].rsplit("-v", 1)[0]


def demo_first_seed(seed: int) -> int:
    """First env seed of training seed ``seed``'s demos."""
    return seed * DEMO_SEED_STRIDE


# --------------------------------------------------------------------------- checks
def check_run_config(config: RunConfig, where: str) -> RunConfig:
    """Raise a ValueError (naming ``where``) for a recipe that cannot run or mixes seed ranges."""
    check_task(config.task)
    stages = config.stages
    if not stages or stages[0] != "bc" or len(set(stages)) != len(stages):
        raise ValueError(f"{where}: stages must start with 'bc' and name each stage once, "
                         f"got {list(stages)}")  # fmt: skip
    order = ("bc", "dagger", "ppo")
    if list(stages) != sorted(stages, key=order.index):
        raise ValueError(f"{where}: stages run in the order bc, dagger, ppo; got {list(stages)}")
    if not config.eval.splits:
        raise ValueError(f"{where}: eval.splits is empty")
    for name, value in (("demos.episodes", config.demos.episodes),
                        ("bc.updates", config.bc.updates), ("eval.episodes", config.eval.episodes),
                        ("eval.workers", config.eval.workers),
                        ("demos.workers", config.demos.workers)):  # fmt: skip
        if value < 1:
            raise ValueError(f"{where}: {name} must be >= 1, got {value}")
    if config.demos.episodes > DEMO_SEED_STRIDE:
        raise ValueError(f"{where}: demos.episodes must be <= {DEMO_SEED_STRIDE:,} (each training "
                         "seed owns that many demo seeds)")  # fmt: skip
    ev = config.eval
    last = ev.seed + ev.episodes - 1
    if ev.seed not in FINAL_EVAL_SEEDS or last not in FINAL_EVAL_SEEDS:
        raise ValueError(
            f"{where}: eval seeds {ev.seed}..{last} must lie in the final-evaluation range "
            f"{FINAL_EVAL_SEEDS.start:,}..{FINAL_EVAL_SEEDS.stop - 1:,} (use --on validation to "
            "develop on validation seeds)"
        )
    check_lo, check_hi = config.bc.eval_seed, config.bc.eval_seed + ev.validation_episodes
    if ev.validation_episodes and (check_lo not in VALIDATION_SEEDS
                                   or check_hi - 1 not in VALIDATION_SEEDS):  # fmt: skip
        raise ValueError(f"{where}: bc.eval_seed {check_lo} (DAgger's keep-or-drop check) must "
                         "lie in the validation range 1,000,000..1,999,999")  # fmt: skip
    if "ppo" in stages:
        config.ppo.ppo_config(config.task, "<imitation agent>", "", 0)  # PPOConfig's own checks
    return config


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{what} must be a name of letters, digits, '_', '.' or '-', got {name!r}")
    return name


# --------------------------------------------------------------------------- loading
def load_experiment(path: str | Path) -> Experiment:
    """Read and strictly check an experiment file."""
    path = Path(path)
    data = read_toml(path)
    what = f"experiment {path}"
    if "variants" not in data:
        raise ValueError(f"{path} is not an experiment file: it has no [[variants]] table (a "
                         "`train ppo --config` file goes to that command instead)")  # fmt: skip
    name = _check_name(path.stem, f"{what}: the file name")
    recipe_values = data.pop("recipe", {})
    variant_tables = data.pop("variants", None)
    header = from_values(Header, data, what=what)
    if header.seeds < 1:
        raise ValueError(f"{what}: seeds must be >= 1, got {header.seeds}")
    recipe = from_values(RunConfig, recipe_values, what=f"{what} [recipe]")
    check_run_config(recipe, f"{what} [recipe]")
    if not isinstance(variant_tables, list) or not variant_tables:
        raise ValueError(f"{what}: needs at least one [[variants]] table (name = ..., set = {{}})")
    variants: list[Variant] = []
    for i, table in enumerate(variant_tables):
        where = f"{what} variant {i + 1}"
        if not isinstance(table, dict):
            raise ValueError(f"{where} must be a table")
        unknown = sorted(set(table) - {"name", "x", "set"})
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; valid: name, x, set")
        vname = _check_name(table.get("name"), f"{where}: name")
        if vname.startswith("baseline"):
            raise ValueError(f"{where}: names starting with 'baseline' are reserved")
        x = table.get("x")
        if x is not None and (isinstance(x, bool) or not isinstance(x, (int, float))):
            raise ValueError(f"{where} ({vname}): x must be a number, got {x!r}")
        if header.plot == "curve" and x is None:
            raise ValueError(f"{where} ({vname}): a curve experiment needs x in every variant")
        overrides = table.get("set", {})
        config = from_values(RunConfig, overrides, copy.deepcopy(recipe), what=f"{where} ({vname})")
        check_run_config(config, f"{where} ({vname})")
        variants.append(Variant(vname, None if x is None else float(x), config, overrides))
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise ValueError(f"{what}: variant names must be unique, got {names}")
    return Experiment(name, path, header, recipe, variants)
