"""A data folder and lawful.yaml for running ``lawful`` commands as a user would (SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lawful.config.init import write_starter_config
from lawful.crypto.keyfile import generate_master_key_file
from lawful.settings import Settings


def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template: str) -> Settings:
    """Point the environment at a fresh data folder with ``template`` and a master key."""
    monkeypatch.chdir(tmp_path)
    for name in ("LAWFUL_DATABASE_URL", "LAWFUL_MASTER_KEY", "LAWFUL_MASTER_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LAWFUL_DATA_DIR", str(tmp_path / "data"))
    config = write_starter_config(tmp_path / "lawful-cli.yaml", template)
    monkeypatch.setenv("LAWFUL_CONFIG", str(config))
    settings = Settings.from_env()
    generate_master_key_file(settings.master_key_path)
    return settings
