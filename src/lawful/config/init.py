"""Starter lawful.yaml files, copied from the commented templates shipped with lawful.

A template is a complete, coherent policy for one kind of operator (modelled on a real seed
policy) whose comments explain each obligation; ``lawful init`` copies one so the operator
edits a working policy instead of a blank page.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from lawful.errors import ConfigError

CONFIG_NAME = "lawful.yaml"


def available_templates() -> list[str]:
    """Names of the shipped templates, e.g. ``ru-design-studio``."""
    folder = resources.files("lawful.config").joinpath("templates")
    return sorted(
        f.name.removesuffix(".yaml") for f in folder.iterdir() if f.name.endswith(".yaml")
    )


def template_text(name: str) -> str:
    """The YAML text of template ``name``; an unknown name lists the known ones."""
    if name not in available_templates():
        known = ", ".join(available_templates())
        raise ConfigError(f"unknown template {name!r} — choose one of: {known}", field="template")
    folder = resources.files("lawful.config").joinpath("templates")
    return folder.joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def write_starter_config(dest: Path, template: str) -> Path:
    """Write template ``template`` to ``dest`` (a file, or a folder to hold lawful.yaml).

    An existing file is never overwritten: it may be the operator's edited policy.
    """
    target = dest / CONFIG_NAME if dest.is_dir() else dest
    text = template_text(template)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise ConfigError(
            f"{target} already exists — lawful init never overwrites it; move it away or "
            "choose another --dir",
            field="dir",
        ) from None
    return target
