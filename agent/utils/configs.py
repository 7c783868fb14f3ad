"""Dataclass configs: the command line (tyro), TOML experiment files and saved ``config.json``.

Every command's settings are one dataclass; the docstring under each field is its ``--help`` line
(tyro reads them). ``parse_command(BCConfig, argv, prog, description, tables=("bc",))`` builds the
config from the dataclass defaults, then ``--config FILE.toml`` (the named tables or the whole
file), then the flags (``--lr 3e-4 --agent.fusion gated``; dashes and underscores both work).

Files are checked strictly by :func:`from_values`: unknown keys (at any depth), values of the wrong
type and a file without its expected table raise a ValueError naming the field. tyro reports
unknown and mistyped flags itself (exit status 2).
"""

from __future__ import annotations

import copy
import dataclasses
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

T = TypeVar("T")

Split = Literal["train", "heldout_combos", "paraphrase"]
"""Instruction splits (``envs.language``; a test keeps the two lists equal)."""

Teacher = Literal["expert", "scan"]
"""Who acts in demonstrations: the privileged planner or the scanning teacher (policies.teacher)."""


# --------------------------------------------------------------------------- files
def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML experiment file with a clear error when it is missing or malformed."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"experiment config {path} does not exist")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"experiment config {path} is not valid TOML: {exc}") from exc


def toml_values(path: str | Path, tables: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The settings of a TOML file: the whole file, or its ``tables`` merged (at least one must be
    there; keys outside them are other commands' settings and are ignored)."""
    data = read_toml(path)
    if not tables:
        return data
    if not any(t in data for t in tables):
        names = " or ".join(f"[{t}]" for t in tables)
        raise ValueError(f"experiment config {path} has no {names} table")
    values: dict[str, Any] = {}
    for table in tables:
        section = data.get(table, {})
        if not isinstance(section, dict):
            raise ValueError(f"experiment config {path}: {table!r} must be a table")
        values.update(section)
    return values


def _convert(value: Any, hint: Any, name: str, what: str) -> Any:
    """Check a value from a file against the field's type ``hint`` (ints pass as floats, lists as
    tuples); ValueError naming the field otherwise."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        raise AssertionError("nested configs are handled by from_values")
    if origin in (typing.Union, getattr(types, "UnionType", None)):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, name, what)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors))
    if origin is typing.Literal:
        if value not in args:
            choices = ", ".join(map(str, args))
            raise ValueError(f"unknown {name} {value!r}; choose one of {choices}")
        return value
    if origin is tuple or hint is tuple:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{what} field {name!r} must be a list, got {value!r}")
        item = args[0] if args else Any
        return tuple(_convert(v, item, name, what) for v in value)
    ok = {
        bool: lambda v: isinstance(v, bool),
        int: lambda v: isinstance(v, int) and not isinstance(v, bool),
        float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        str: lambda v: isinstance(v, str),
    }.get(hint)
    if ok is not None and not ok(value):
        raise ValueError(
            f"{what} field {name!r} has the wrong type: {value!r} (expected {hint.__name__})"
        )
    return float(value) if hint is float else value


def from_values(
    cls: type[T],
    values: dict[str, Any],
    base: T | None = None,
    what: str = "config",
    validate: bool = True,
) -> T:
    """``base`` (default ``cls()``) with the fields in ``values`` replaced, checked strictly.

    ``validate=False`` skips the configs' own ``__post_init__`` checks, for a layer that flags
    complete (a file with ``kl_coef`` whose ``init_from`` comes from the command line).
    """
    built = _build(cls, values, cls() if base is None else base, what, "")
    return validated(built) if validate else built


def validated(config: T, prefix: str = "") -> T:
    """A copy of ``config`` built again through its constructors (their checks run); an error of
    a nested config names its field (``demos.episodes must be >= 1``)."""
    fields = [f.name for f in dataclasses.fields(config)]  # type: ignore[arg-type]
    changes = {
        name: validated(getattr(config, name), f"{prefix}{name}.")
        for name in fields
        if dataclasses.is_dataclass(getattr(config, name))
    }
    try:
        return dataclasses.replace(config, **changes)  # type: ignore[type-var]
    except ValueError as exc:
        message = str(exc)
        if not prefix or message.startswith(prefix):
            raise
        if message.split(" ", 1)[0] in fields:
            raise ValueError(prefix + message) from exc
        raise ValueError(f"{prefix.rstrip('.')}: {message}") from exc


def _build(cls: type[T], values: Any, base: T, what: str, prefix: str) -> T:
    if not isinstance(values, dict):
        where = f"field {prefix.rstrip('.')!r}" if prefix else "settings"
        raise ValueError(f"{what} {where} must be a table of settings, got {values!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ValueError(
            f"unknown {what} field(s) {', '.join(prefix + u for u in unknown)}; "
            f"valid fields: {', '.join(prefix + n for n in names)}"
        )
    config = copy.copy(base)
    for key, value in values.items():
        hint, name = hints[key], prefix + key
        if dataclasses.is_dataclass(hint):
            value = _build(hint, value, getattr(base, key), what, f"{name}.")
        else:
            value = _convert(value, hint, name, what)
        object.__setattr__(config, key, value)
    return config


def config_to_dict(config: Any) -> dict[str, Any]:
    """A dataclass config as a JSON/TOML-ready dict (tuples become lists)."""
    return _jsonable(dataclasses.asdict(config))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- command line
CONFIG_HELP = "--config FILE.toml: defaults from a TOML file{tables}; flags override it."
"""The line that documents ``--config`` under every command's description."""


def pop_option(argv: list[str], flag: str) -> tuple[str | None, list[str]]:
    """Take ``flag VALUE`` (or ``flag=VALUE``) out of ``argv``; dashes or underscores."""
    names = {flag, flag.replace("-", "_"), "--" + flag[2:].replace("_", "-")}
    rest, value, i = [], None, 0
    while i < len(argv):
        arg = argv[i]
        key, eq, inline = arg.partition("=")
        if key in names:
            if eq:
                value, i = inline, i + 1
            elif i + 1 < len(argv):
                value, i = argv[i + 1], i + 2
            else:
                raise ValueError(f"{flag} needs a value")
            continue
        rest.append(arg)
        i += 1
    return value, rest


def parse_flags(
    cls: type[T], argv: list[str], base: T | None = None, prog: str | None = None,
    description: str | None = None,
) -> T:  # fmt: skip
    """``base`` (default ``cls()``) with the flags in ``argv`` applied by tyro."""
    import tyro

    return tyro.cli(
        cls,
        args=argv,
        default=cls() if base is None else base,
        prog=prog,
        description=description,
        config=(tyro.conf.FlagConversionOff,),
        use_underscores=True,
    )


def load_config(
    cls: type[T],
    toml_path: str | Path | None = None,
    argv: list[str] | None = None,
    tables: tuple[str, ...] | None = None,
) -> T:
    """Defaults <- TOML file (its ``tables``, or all of it) <- flags."""
    base = from_values(cls, toml_values(toml_path, tables), validate=False) if toml_path else cls()
    return parse_flags(cls, list(argv or []), base) if argv else validated(base)


def parse_command(
    cls: type[T],
    argv: list[str] | None,
    prog: str,
    description: str | None,
    tables: tuple[str, ...] | None = None,
    base: T | None = None,
) -> T:
    """A command's config: ``base`` or the defaults <- ``--config FILE.toml`` <- flags."""
    path, rest = pop_option(list(sys.argv[1:] if argv is None else argv), "--config")
    if path:
        base = from_values(cls, toml_values(path, tables), base, validate=False)
    where = ""
    if tables:
        where = f" (its {' and '.join(f'[{t}]' for t in tables)} table{'s' * (len(tables) > 1)})"
    text = f"{(description or '').rstrip()}\n\n{CONFIG_HELP.format(tables=where)}"
    return parse_flags(cls, rest, base, prog, text)


RESUME_HELP = "--resume RUN_DIR: continue a run from its last checkpoint (and saved config)."
"""The line that documents ``--resume`` under a training command's description."""


def parse_train_command(
    cls: type[T], argv: list[str] | None, prog: str, description: str | None,
    tables: tuple[str, ...],
) -> tuple[T, str | None]:  # fmt: skip
    """A training command's config and its ``--resume RUN_DIR`` (or None).

    Without ``--config``, a resumed run starts from its saved ``config.json`` (``"train"``).
    """
    import json

    resume, rest = pop_option(list(sys.argv[1:] if argv is None else argv), "--resume")
    base = None
    saved = Path(resume) / "config.json" if resume else None
    given = any(a.split("=")[0] in ("--config",) for a in rest)
    if saved is not None and saved.exists() and not given:
        base = from_values(cls, json.loads(saved.read_text())["train"], validate=False)
    text = f"{(description or '').rstrip()}\n\n{RESUME_HELP}"
    return parse_command(cls, rest, prog, text, tables, base), resume


# --------------------------------------------------------------------------- ranges
def check_bounds(config: Any) -> None:
    """Check the numeric fields named in the ``BOUNDS`` class attributes of ``config``'s classes.

    ``BOUNDS`` maps a field name to a rule: ``">=1"``, ``">=0"``, ``">0"`` or ``"0..1"`` (both
    ends included). A field whose value is None (an optional setting left unset) passes.

    Raises:
        ValueError: naming the field, its value and the allowed range.
    """
    for klass in type(config).__mro__:
        for name, rule in vars(klass).get("BOUNDS", {}).items():
            value = getattr(config, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if not _within(value, rule):
                raise ValueError(f"{name} must be {_RULE_TEXT[rule]}, got {value!r}")


_RULE_TEXT = {">=1": ">= 1", ">=0": ">= 0", ">0": "> 0", "0..1": "between 0 and 1"}


def _within(value: float, rule: str) -> bool:
    if rule not in _RULE_TEXT:
        raise AssertionError(f"unknown bound {rule!r}")
    if value != value:  # NaN is outside every range
        return False
    return {
        ">=1": value >= 1,
        ">=0": value >= 0,
        ">0": value > 0,
        "0..1": 0 <= value <= 1,
    }[rule]
