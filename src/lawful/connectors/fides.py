"""Import a Fides dataset (fideslang YAML) as an SQL connector's :class:`Dataset`.

Fides users describe their databases as ``dataset: [{fides_key, collections: [{name, fields:
[{name, data_categories, fides_meta: {primary_key, identity, references}}]}]}]``. Each
collection becomes a table; ``identity`` fields its identity columns; ``references`` with
``direction: from`` its foreign keys; every field with a ``user.*`` category a personal column.
Fides erases by masking; here identity columns are hashed (they are often unique and NOT
NULL), other personal columns set to NULL, and key columns kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from lawful.config.connectors import Column, Dataset, Table
from lawful.errors import ConfigError

IDENTITIES = {"email": "email", "phone_number": "phone", "phone": "phone"}


def load_fides_dataset(path: Path) -> Dataset:
    """The dataset of a Fides YAML file; a malformed one is a ConfigError naming the file."""
    try:
        document = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the Fides dataset ({type(exc).__name__})") from None
    try:
        return fides_to_dataset(document)
    except (KeyError, TypeError, IndexError) as exc:
        raise ConfigError(
            f"{path}: not a fideslang dataset (missing or malformed {exc}); "
            "fix: `dataset: [{fides_key, collections: [{name, fields: [...]}]}]`"
        ) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{path}: {first['msg']}") from None


def fides_to_dataset(document: Any) -> Dataset:
    tables: dict[str, Table] = {}
    for dataset in document["dataset"]:
        for collection in dataset["collections"]:
            tables[collection["name"]] = _table(collection["fields"])
    return Dataset(tables=tables)


def _table(fields: list[dict[str, Any]]) -> Table:
    primary_key, identity, references, columns = "", {}, {}, {}
    for spec in fields:
        name, meta = spec["name"], spec.get("fides_meta") or {}
        if meta.get("primary_key"):
            primary_key = primary_key or name
        kind = IDENTITIES.get(str(meta.get("identity", "")))
        if kind:
            identity[kind] = name
        for ref in meta.get("references") or []:
            if ref.get("direction", "from") == "from":
                references[name] = ref["field"]
        category = _personal(spec.get("data_categories") or [])
        if category and name not in references:
            columns[name] = Column(category=category, erase="hash" if kind else "null")
    return Table(
        primary_key=primary_key or "id", identity=identity, references=references, columns=columns
    )


def _personal(categories: list[str]) -> str | None:
    """The field's first personal-data category (``user.*``); system fields are not personal."""
    return next((c for c in categories if str(c).startswith("user.")), None)
