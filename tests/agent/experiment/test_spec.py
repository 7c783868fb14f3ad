"""Experiment files: the five shipped experiments, strict checks, budgets and run identity."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.experiment.plan import plan_runs, smoke
from agent.experiment.spec import RunConfig, is_experiment_file, load_experiment
from agent.model.config import FUSIONS
from agent.utils.seeds import FINAL_EVAL_SEEDS, LEVER_SEED
from envs.registration import task_ids

ROOT = Path(__file__).resolve().parents[3]
EXPERIMENTS = ROOT / "experiments"
SHIPPED = ("task_families", "fusion_ablation", "data_efficiency", "seed_variance", "imitation_rl")


def write(tmp_path: Path, text: str, name: str = "exp") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


MINIMAL = 'title = "t"\n[[variants]]\nname = "a"\n'


def test_the_five_experiments_load_and_plan() -> None:
    found = sorted(p.stem for p in EXPERIMENTS.glob("*.toml") if is_experiment_file(p))
    assert found == sorted(SHIPPED)
    orders = []
    for name in SHIPPED:
        experiment = load_experiment(EXPERIMENTS / f"{name}.toml")
        orders.append(experiment.header.order)
        assert experiment.header.title and experiment.header.description.strip()
        for budget in ("full", "smoke"):
            runs = plan_runs(experiment, budget=budget)
            agents = [r for r in runs if r.kind == "agent"]
            assert len(agents) == len(experiment.variants) * experiment.header.seeds
            for run in runs:  # reported on final-evaluation seeds only
                ev = run.config.eval
                assert ev.seed in FINAL_EVAL_SEEDS
                assert ev.seed + ev.episodes - 1 in FINAL_EVAL_SEEDS
    assert sorted(orders) == [1, 2, 3, 4, 5]


def test_shipped_experiments_cover_what_the_issue_asks() -> None:
    families = load_experiment(EXPERIMENTS / "task_families.toml")
    v0 = [t for t in task_ids() if t.endswith("-v0")]  # the committed records: v0 ids
    assert sorted(v.config.task for v in families.variants) == sorted(v0)
    assert {v.config.bc.updates for v in families.variants} == {1500}  # one budget for all
    assert set(families.variants[0].config.eval.splits) == {
        "train", "heldout_combos", "paraphrase"
    }  # fmt: skip
    fusion = load_experiment(EXPERIMENTS / "fusion_ablation.toml")
    assert sorted(v.config.bc.agent.fusion for v in fusion.variants) == sorted(FUSIONS)
    assert {v.config.task for v in fusion.variants} == {"MiniGround/GoToObjectHard-v0"}
    assert {v.config.demos.episodes for v in fusion.variants} == {2000}
    data = load_experiment(EXPERIMENTS / "data_efficiency.toml")
    xs = [v.x for v in data.variants]
    assert xs == sorted(xs) and xs[0] == 250 and xs[-1] == 8000
    assert [v.config.demos.episodes for v in data.variants] == [int(x) for x in xs]
    assert load_experiment(EXPERIMENTS / "seed_variance.toml").header.seeds == 3
    rl = load_experiment(EXPERIMENTS / "imitation_rl.toml").variants[0].config
    assert rl.stages == ("bc", "dagger", "ppo") and rl.eval.every_stage


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('titel = "t"\n[[variants]]\nname = "a"\n', "unknown .*titel"),
        (MINIMAL + "[variants.set.bc]\nupdatez = 3\n", "bc.updatez"),
        (MINIMAL + "[variants.set.bc]\nupdates = 'many'\n", "bc.updates"),
        (MINIMAL + "[variants.set.bc.agent]\nfusion = 'glue'\n", "bc.agent.fusion 'glue'"),
        (MINIMAL + "[variants.set]\ntask = 'Nope-v0'\n", "unknown task id 'Nope-v0'"),
        (MINIMAL + "[variants.set.eval]\nseed = 1_100_000\n", "final-evaluation range"),
        (MINIMAL + "[variants.set]\nstages = ['dagger']\n", "must start with 'bc'"),
        (MINIMAL + "[variants.set]\nstages = ['bc', 'ppo', 'dagger']\n", "order bc, dagger, ppo"),
        (MINIMAL + "[variants.set.demos]\nepisodes = 0\n", "demos.episodes must be >= 1"),
        (MINIMAL + '[[variants]]\nname = "a"\n', "unique"),
        ('title = "t"\n[[variants]]\nname = "a b"\n', "name"),
        ('title = "t"\n[[variants]]\nname = "a"\nsett = {}\n', "unknown key.*sett"),
        ('plot = "curve"\n[[variants]]\nname = "a"\n', "needs x"),
        ('seeds = 0\n[[variants]]\nname = "a"\n', "seeds must be >= 1"),
        ('title = "t"\n', "no \\[\\[variants\\]\\]"),
        (
            '[recipe]\nstages = ["bc", "ppo"]\n[recipe.ppo]\nnum_steps = 100\n[[variants]]\n'
            'name = "a"\n',
            "seq_len",
        ),
        (
            'title = "t"\n[recipe.ppo]\nnum_steps = 100\n[[variants]]\nname = "a"\n'
            'set = { stages = ["bc", "dagger"] }\n',
            None,
        ),
    ],
)
def test_bad_experiment_files_are_clear_errors(tmp_path: Path, text: str, match: str) -> None:
    path = write(tmp_path, text)
    if match is None:  # PPO's settings are checked only where the ppo stage runs
        load_experiment(path)
        return
    with pytest.raises(ValueError, match=match):
        load_experiment(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_experiment(tmp_path / "nope.toml")


def test_variants_override_the_recipe_and_keep_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, (
        '[recipe]\ntask = "MiniGround/GoToObjectHard-v0"\nstages = ["bc"]\n'
        '[recipe.bc]\nupdates = 7\n'
        '[[variants]]\nname = "a"\nset = { bc = { agent = { fusion = "gated" } } }\n'
    ))  # fmt: skip
    (variant,) = load_experiment(path).variants
    config = variant.config
    assert (config.task, config.bc.updates, config.bc.agent.fusion) == (
        "MiniGround/GoToObjectHard-v0", 7, "gated"
    )  # fmt: skip
    assert config.bc.agent.cnn_strides == RunConfig().bc.agent.cnn_strides


def test_smoke_shrinks_counts_and_keeps_the_recipe() -> None:
    full = load_experiment(EXPERIMENTS / "imitation_rl.toml").variants[0].config
    small = smoke(full)
    assert small.demos.episodes < 10 and small.bc.updates < 10 and small.eval.episodes < 5
    assert small.ppo.total_steps < 100
    assert small.task == full.task and small.stages == full.stages
    assert small.bc.agent.fusion == full.bc.agent.fusion
    assert small.eval.splits == full.eval.splits and small.eval.control == full.eval.control
    assert full.demos.episodes == 2000  # the full recipe is untouched


def test_run_identity() -> None:
    families = load_experiment(EXPERIMENTS / "task_families.toml")
    variance = load_experiment(EXPERIMENTS / "seed_variance.toml")
    a = next(r for r in plan_runs(families) if r.run_id == "GoToObject__seed0")
    b = next(r for r in plan_runs(variance) if r.run_id == "GoToObject__seed0")
    assert a.config_hash() == b.config_hash()  # the same work in two experiments
    c = next(r for r in plan_runs(variance) if r.run_id == "GoToObject__seed1")
    assert c.config_hash() != a.config_hash()
    hard = next(r for r in plan_runs(families) if r.run_id == "GoToObjectHard__seed0")
    assert hard.config_hash() != a.config_hash()
    smoke_a = next(r for r in plan_runs(families, budget="smoke") if r.run_id == a.run_id)
    assert smoke_a.config_hash() != a.config_hash()
    a.config.eval.workers = 1  # how many processes ran it does not change the work
    assert a.config_hash() == b.config_hash()
    base = [r.run_id for r in plan_runs(families) if r.kind == "baseline"]
    assert len(base) == 12 and "baseline__PutNext__random" in base


def test_seeds_flag_and_validation_range() -> None:
    families = load_experiment(EXPERIMENTS / "task_families.toml")
    runs = plan_runs(families, seeds=2)
    assert sorted({r.seed for r in runs if r.kind == "agent"}) == [0, 1]
    assert {r.config.eval.seed for r in plan_runs(families, on="validation")} == {LEVER_SEED}
    with pytest.raises(ValueError, match="--seeds"):
        plan_runs(families, seeds=0)
    with pytest.raises(ValueError, match="budget"):
        plan_runs(families, budget="medium")
