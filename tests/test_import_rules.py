"""Import rules: the arrows between our packages point one way (an AST scan of every module).

Data flows envs -> policies -> agent; inside agent: utils < model < data < rollout < learn / eval,
with bench and scripts on top, named only by ``agent.cli``'s dispatch table (strings are not
imports). Every import counts, including lazy ones inside functions and relative ones.

``agent.model`` imports nothing from ``envs``: a checkpoint carries its own attribute inventory
(colours, shapes, words in ``config.json``), so a saved agent never reads the lists of whatever
code loads it. Known and allowed: ``agent.learn.ppo_run`` runs the final evaluation of a PPO run
through ``agent.eval`` (learn -> eval).
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("envs", "policies", "agent")
LAYERS_ABOVE_MODEL = ("agent.data", "agent.rollout", "agent.learn", "agent.eval")
TOP = ("agent.bench", "agent.scripts")


@dataclass(frozen=True)
class Rule:
    """Modules under ``importer`` must not import anything under ``forbidden``."""

    importer: str
    forbidden: tuple[str, ...]
    why: str


RULES: tuple[Rule, ...] = (
    Rule("envs", ("agent", "policies"), "envs imports nothing else of ours"),
    Rule("policies", ("agent",), "policies imports only envs"),
    Rule(
        "agent.utils",
        ("agent.model", *LAYERS_ABOVE_MODEL, *TOP, "agent.cli", "envs", "policies"),
        "utils imports nothing else of ours",
    ),  # fmt: skip
    Rule(
        "agent.backend",
        ("agent.model", *LAYERS_ABOVE_MODEL, *TOP, "agent.cli", "envs", "policies"),
        "backends run any job function: they import no model, task, learner or evaluator",
    ),  # fmt: skip
    Rule(
        "agent.model",
        (*LAYERS_ABOVE_MODEL, *TOP, "agent.cli", "envs"),
        "the model imports no task, data, rollout, learner, evaluator, bench or script (a "
        "checkpoint carries its own inventory)",
    ),  # fmt: skip
    Rule(
        "agent.data",
        ("agent.rollout", "agent.learn", "agent.eval", *TOP, "agent.cli"),
        "data imports no rollout, learner, evaluator, bench or script",
    ),  # fmt: skip
    Rule(
        "agent.rollout",
        ("agent.learn", "agent.eval", *TOP, "agent.cli"),
        "rollouts import no learner, evaluator, bench or script",
    ),  # fmt: skip
    Rule(
        "agent.eval",
        ("agent.learn", *TOP, "agent.cli"),
        "evaluation imports no learner, bench or script",
    ),  # fmt: skip
    Rule("", TOP, "nothing imports a bench or script module (agent.cli names them in strings)"),
)


def _under(name: str, prefix: str) -> bool:
    """Whether module ``name`` is ``prefix`` or inside it (an empty prefix holds everything)."""
    return not prefix or name == prefix or name.startswith(prefix + ".")


def module_name(path: Path) -> tuple[str, bool]:
    """Dotted name of a source file under ROOT, and whether it is a package's ``__init__``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if is_package else parts), is_package


def imported_names(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of everything ``source`` imports, relative imports resolved.

    ``from a.b import c`` yields both ``a.b`` and ``a.b.c`` (``c`` may be a module).
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """Every rule that ``source`` (the text of ``module``) breaks, one line each."""
    out = []
    for lineno, name in imported_names(source, module, is_package):
        for rule in RULES:
            if not _under(module, rule.importer):
                continue
            hit = next((f for f in rule.forbidden if _under(name, f)), None)
            if hit is not None:
                out.append(f"{module}:{lineno} imports {name} ({rule.why})")
    return sorted(set(out))


def source_files() -> list[Path]:
    """Every .py file of our packages."""
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_every_module_follows_the_import_rules() -> None:
    files = source_files()
    assert len(files) > 40, "the scan found too few modules"
    problems = []
    for path in files:
        module, is_package = module_name(path)
        problems += violations(module, path.read_text(), is_package)
    assert not problems, "import rules broken:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("envs.world", "from agent.model.config import AgentConfig"),
        ("envs.labels", "def f():\n    import policies.expert\n"),
        ("policies.expert", "from agent.utils.io import atomic_write_json"),
        ("agent.utils.io", "from agent.model import config"),
        ("agent.model.text", "from agent.learn.bc import BCConfig"),
        ("agent.model.perception", "from ..eval import metrics"),  # relative
        ("agent.model.agent", "def f():\n    from agent.rollout.storage import Rollout\n"),
        ("agent.model.text", "def f():\n    from envs.language import VOCAB\n"),
        ("agent.model.compose", "from envs.language import COLORS, SHAPES"),
        ("agent.model.dense", "import envs.masks"),
        ("agent.data.demos", "from agent.rollout.learner import run_learner"),
        ("agent.rollout.learner", "from agent.learn import bc"),
        ("agent.eval.video", "import agent.scripts.record"),
        ("agent.learn.bc", "from agent.bench import bc"),
        ("agent.cli", "from agent.scripts import eval"),
        ("agent.scripts.eval", "from agent.scripts.record import main"),
    ],
)
def test_checker_reports_a_broken_rule(module: str, source: str) -> None:
    assert violations(module, source), f"{module} importing this went unnoticed:\n{source}"


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("agent.cli", 'COMMANDS = {"eval": ("agent.scripts.eval:main", "evaluate")}'),
        ("agent.model.agent", "from agent.utils.device import resolve_device"),
        ("agent.learn.inventory", "from envs.language import COLORS, SHAPES, vocabulary"),
        ("agent.eval.video", "from agent.rollout.episode import run_episode"),
        ("agent.learn.ppo_run", "from agent.eval.evaluation import evaluate"),
        ("agent.scripts.quickstart", "from agent.learn.bc import BCTrainer"),
        ("policies.expert", "from envs import navigation"),
        ("agent.utils.configs", "from .io import atomic_write_json"),
        ("agent.rollout.demos", "from agent.data.demos import write_shard"),
    ],
)
def test_checker_accepts_allowed_imports(module: str, source: str) -> None:
    assert not violations(module, source)


def test_relative_imports_resolve() -> None:
    names = {n for _, n in imported_names("from ..eval import metrics", "agent.model.text")}
    assert names == {"agent.eval", "agent.eval.metrics"}
    names = {n for _, n in imported_names("from . import io", "agent.utils", is_package=True)}
    assert names == {"agent.utils", "agent.utils.io"}


def test_every_package_folder_has_an_init() -> None:
    for pkg in PACKAGES:
        for folder in {p.parent for p in (ROOT / pkg).rglob("*.py")}:
            assert (folder / "__init__.py").is_file(), f"{folder} lacks __init__.py"


def test_every_command_resolves_to_a_script_or_bench_main() -> None:
    from agent.cli import COMMANDS

    for words, (target, _) in COMMANDS.items():
        module_path, func = target.split(":")
        assert _under(module_path, "agent.scripts") or _under(module_path, "agent.bench"), words
        assert callable(getattr(importlib.import_module(module_path), func)), words
