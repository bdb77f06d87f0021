"""Reading lawful.yaml into a :class:`Policy`, keeping the line of every key.

The file is parsed with ruamel.yaml's round-trip loader because it remembers where each key
stands; every problem — a YAML syntax error, a field of the wrong type, an incoherent rule found
later by :mod:`lawful.config.check` — is reported as ``file:line:column: what — fix``, the form
editors and CI annotate. Pydantic's own messages are translated into sentences here, once, and
never echo the offending value: lawful.yaml may contain contacts, and messages end up in logs.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from lawful.config.models import Policy
from lawful.config.taxonomy import closest
from lawful.errors import ConfigError

Loc = tuple[str | int, ...]
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with lawful.yaml, where it is, and how to fix it."""

    path: str
    line: int
    column: int
    message: str
    fix: str
    severity: Severity = "error"

    def format(self) -> str:
        """``file:line:column: what is wrong — how to fix it`` (warnings say so first)."""
        what = f"warning: {self.message}" if self.severity == "warning" else self.message
        return f"{self.path}:{self.line}:{self.column}: {what} — {self.fix}"


class ConfigInvalid(ConfigError):
    """lawful.yaml cannot be loaded; ``problems`` lists every reason found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        head = problems[0].format() if problems else "lawful.yaml is invalid"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(head + more)
        self.problems = problems


@dataclass(frozen=True)
class LoadedPolicy:
    """A validated policy and the (line, column) of every key, for pointing at problems."""

    path: str
    policy: Policy
    positions: Mapping[Loc, tuple[int, int]] = field(default_factory=dict)

    def position(self, loc: Loc) -> tuple[int, int]:
        """Where ``loc`` is written, or its nearest written ancestor (missing keys)."""
        return _nearest(self.positions, loc)

    def problem(self, loc: Loc, message: str, fix: str, severity: Severity = "error") -> Problem:
        line, column = self.position(loc)
        return Problem(self.path, line, column, message, fix, severity)


def load_policy(path: Path) -> LoadedPolicy:
    """Load and validate ``path``; raise :class:`ConfigInvalid` listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problem = Problem(
            str(path),
            1,
            1,
            f"cannot read the file ({exc.strerror})",
            "check the path, or run `lawful init` to create one",
        )
        raise ConfigInvalid([problem]) from None
    return load_policy_text(text, str(path))


def load_policy_text(text: str, path: str = "lawful.yaml") -> LoadedPolicy:
    """Load a policy from YAML text; ``path`` is only used to name the file in problems."""
    document = _parse(text, path)
    positions = dict(_positions(document, ()))
    if not isinstance(document, CommentedMap):
        fix = "start from a template: `lawful init --template <name>`"
        raise ConfigInvalid([Problem(path, 1, 1, "the file is not a YAML mapping", fix)])
    try:
        policy = Policy.model_validate(_plain(document))
    except ValidationError as exc:
        problems = [_translate(err, path, positions) for err in exc.errors()]
        raise ConfigInvalid(sorted(problems, key=lambda p: (p.line, p.column))) from None
    return LoadedPolicy(path, policy, positions)


# --- YAML ---------------------------------------------------------------------------------


def _parse(text: str, path: str) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = f"YAML syntax error: {exc.problem or exc.context}"
        fix = "fix the indentation or quoting here (a value with ': ' or '#' needs quotes)"
        raise ConfigInvalid([Problem(path, line, column, what, fix)]) from None
    except YAMLError as exc:
        raise ConfigInvalid(
            [
                Problem(
                    path, 1, 1, f"YAML error: {type(exc).__name__}", "check the file is valid YAML"
                )
            ]
        ) from None


def _positions(node: Any, loc: Loc) -> Iterator[tuple[Loc, tuple[int, int]]]:
    """Yield the 1-based (line, column) of every mapping key and sequence item under ``node``."""
    if loc == ():
        yield (), (1, 1)
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            line, column = node.lc.key(key)
            yield (*loc, key), (line + 1, column + 1)
            yield from _positions(value, (*loc, key))
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            line, column = node.lc.item(index)
            yield (*loc, index), (line + 1, column + 1)
            yield from _positions(value, (*loc, index))


def _plain(node: Any) -> Any:
    """ruamel's round-trip containers and scalars as plain Python values."""
    if isinstance(node, dict):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _nearest(positions: Mapping[Loc, tuple[int, int]], loc: Loc) -> tuple[int, int]:
    for end in range(len(loc), -1, -1):
        if loc[:end] in positions:
            return positions[loc[:end]]
    return (1, 1)


# --- pydantic errors as sentences ---------------------------------------------------------

_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping of `key: value` lines",
    "list_type": "a list (`- item` lines or `[a, b]`)",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "date_type": "a date written YYYY-MM-DD",
    "date_parsing": "a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "a date written YYYY-MM-DD",
}


def dotted(loc: Loc) -> str:
    """A location as written in messages: ``categories["user.contact.email"].special``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in part:
            out += f'["{part}"]'
        else:
            out += f".{part}" if out else part
    return out or "the file"


def _translate(error: Any, path: str, positions: Mapping[Loc, tuple[int, int]]) -> Problem:
    loc: Loc = tuple(error["loc"])
    line, column = _nearest(positions, loc)
    message, fix = _sentence(error, loc)
    return Problem(path, line, column, message, fix)


def _sentence(error: Any, loc: Loc) -> tuple[str, str]:
    """What is wrong and how to fix it, from one pydantic error — without its input value."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if loc and loc[-1] == "[key]":
        what, fix = _sentence(error, loc[:-1])
        return what.replace(" must be ", " is not an allowed key: use ", 1), fix
    name = dotted(loc)
    if kind == "lawful":
        return f"{name}: {ctx['message']}", str(ctx["fix"])
    if kind == "missing":
        return f"{name} is missing", f"add `{loc[-1]}:` under {dotted(loc[:-1])}"
    if kind == "extra_forbidden":
        return _unknown_field(loc)
    if kind == "literal_error":
        return _not_listed(name, str(ctx.get("expected", "")), error.get("input"))
    if kind in _EXPECTED:
        return (
            f"{name} must be {_EXPECTED[kind]}",
            "check the indentation, or copy the template's form",
        )
    if kind == "too_short":
        return f"{name} must not be empty", "list at least one entry"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{name} must be at least {ctx.get('ge', ctx.get('gt', 1))}", "use a larger number"
    if kind == "string_pattern_mismatch":
        return f"{name} is not in the expected format", "for a colour write #RRGGBB, e.g. #1A5FB4"
    return (
        f"{name} is not valid ({error['msg']})",
        "see the template comments for the expected form",
    )


def _not_listed(name: str, expected: str, given: object) -> tuple[str, str]:
    allowed = [part.strip(" '") for part in expected.replace(" or ", ", ").split(",")]
    guess = closest(given, allowed) if isinstance(given, str) else None
    fix = f"did you mean `{guess}`?" if guess else "use one of the listed values"
    return f"{name} must be one of {expected}", fix


def _unknown_field(loc: Loc) -> tuple[str, str]:
    model = _model_at(loc[:-1])
    allowed = sorted(model.model_fields) if model else []
    guess = closest(str(loc[-1]), allowed)
    if guess:
        return f"unknown field {dotted(loc)}", f"did you mean `{guess}`?"
    listed = ", ".join(allowed) if allowed else "see the template"
    return f"unknown field {dotted(loc)}", f"remove it; allowed here: {listed}"


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (for suggesting field names)."""
    current: Any = Policy
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(str(part))
            if info is None:
                return None
            current = info.annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """``X | None`` as ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation
