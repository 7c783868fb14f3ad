"""Dataclass configs filled from TOML experiment files and overridden from the command line.

``load_config(TrainConfig, "experiments/quickstart.toml", ["--lr", "1e-3", "--agent.fusion",
"gated"])`` builds the dataclass from its defaults, then the TOML file, then the overrides.
Nested dataclass fields are addressed with dots (TOML tables or ``--agent.fusion``).
Unknown keys and values of the wrong type raise a ValueError that names the field.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

T = TypeVar("T")


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _convert(value: Any, hint: Any, name: str) -> Any:
    """Coerce ``value`` (from TOML or a CLI string) to the field's type ``hint``."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ValueError(f"config field {name!r} must be a table of settings")
        return _build(hint, value, prefix=f"{name}.")
    if origin in (typing.Union, getattr(types, "UnionType", None)):
        is_none = value is None or (isinstance(value, str) and value.lower() in ("none", "null"))
        if is_none and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, name)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors))
    if origin is tuple or hint is tuple:
        items = value.split(",") if isinstance(value, str) else list(value)
        item_type = args[0] if args else str
        return tuple(
            _convert(v.strip() if isinstance(v, str) else v, item_type, name) for v in items
        )
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"config field {name!r} must be true or false, got {value!r}")
    if hint in (int, float):
        if isinstance(value, bool):
            raise ValueError(f"config field {name!r} must be a number, got {value!r}")
        try:
            number = hint(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"config field {name!r} must be {hint.__name__}, got {value!r}"
            ) from None
        if hint is int and isinstance(value, float) and value != int(value):
            raise ValueError(f"config field {name!r} must be an integer, got {value!r}")
        return number
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"config field {name!r} must be a string, got {value!r}")
        return value
    return value


def _build(cls: type[T], values: dict[str, Any], prefix: str = "") -> T:
    types = _field_types(cls)
    unknown = sorted(set(values) - set(types))
    if unknown:
        raise ValueError(
            f"unknown config field(s) {', '.join(prefix + u for u in unknown)}; "
            f"valid fields: {', '.join(prefix + t for t in types)}"
        )
    kwargs = {k: _convert(v, types[k], prefix + k) for k, v in values.items()}
    return cls(**kwargs)


def _nested_set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"config field {dotted!r}: {part!r} is not a table")
    node[parts[-1]] = value


def parse_overrides(args: list[str]) -> dict[str, Any]:
    """``["--lr", "3e-4", "--agent.fusion=gated"]`` -> nested dict of raw string values."""
    tree: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or len(arg) == 2:
            raise ValueError(f"expected a --field value override, got {arg!r}")
        key = arg[2:]
        if "=" in key:
            key, value = key.split("=", 1)
            i += 1
        else:
            if i + 1 >= len(args):
                raise ValueError(f"override --{key} needs a value")
            value = args[i + 1]
            i += 2
        _nested_set(tree, key.replace("-", "_"), value)
    return tree


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML experiment file with a clear error when it is missing or malformed."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"experiment config {path} does not exist")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"experiment config {path} is not valid TOML: {exc}") from exc


def load_config(
    cls: type[T], toml_path: str | Path | None = None, overrides: list[str] | None = None
) -> T:
    """Defaults <- TOML file <- command-line overrides, validated against the dataclass."""
    values = read_toml(toml_path) if toml_path else {}
    values = _merge(values, parse_overrides(overrides or []))
    return _build(cls, values)


def config_from_values(cls: type[T], values: dict[str, Any], overrides: list[str]) -> T:
    """``cls`` from saved or TOML ``values`` (keys that are not fields of ``cls`` are ignored),
    with command-line overrides on top."""
    names = {f.name for f in dataclasses.fields(cls)}
    return _build(
        cls, _merge({k: v for k, v in values.items() if k in names}, parse_overrides(overrides))
    )


def parse_train_args(
    prog: str, argv: list[str] | None, cls: type, description: str | None = None
) -> tuple[Any, argparse.Namespace]:
    """``--config FILE``, ``--resume RUN_DIR`` and ``--field value`` overrides of ``cls``.

    The config comes from a resumed run's saved ``config.json`` (without ``--config``), else from
    the TOML file's ``[bc]`` table, else from the defaults; overrides go on top.
    """
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog="Any config field can be overridden: --updates 3000 --agent.fusion gated",
    )
    parser.add_argument("--config", help="TOML experiment file (e.g. experiments/quickstart.toml)")
    parser.add_argument("--resume", help="run directory to continue")
    args, rest = parser.parse_known_args(argv)
    if args.resume and not args.config and (Path(args.resume) / "config.json").exists():
        saved = json.loads((Path(args.resume) / "config.json").read_text())["train"]
        return config_from_values(cls, saved, rest), args
    section = read_toml(args.config).get("bc", {}) if args.config else None
    if section is None:
        return load_config(cls, None, rest), args
    return config_from_values(cls, section, rest), args


def config_to_dict(config: Any) -> dict[str, Any]:
    """A dataclass config as a JSON-ready dict (tuples become lists)."""
    return _jsonable(dataclasses.asdict(config))


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def describe_fields(cls: type) -> str:
    """One line per field with its default, for ``--help`` epilogs."""
    lines = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else "(table)"
        lines.append(f"  --{f.name} (default: {default})")
    return "\n".join(lines)
