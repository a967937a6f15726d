"""A console app with the dev sign-in on, for tests of its own behaviour (no service needed)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from flask import Flask

from gridplus.console.app import create_app
from gridplus.console.config import ConsoleSettings
from gridplus.kit.config import Env
from tests.conftest import JWT_SECRET

DEV_PEOPLE = {
    "grid_worker": {"subject": "w-MN0502-1", "grids": ["MN0502"]},
    "grid_chief": {"subject": "c-MN0502", "grids": ["MN0502"]},
    "resident": {"subject": "resident-demo"},
    "admin": {"subject": "admin-demo"},
}


def console_settings(**overrides: str) -> ConsoleSettings:
    env: Mapping[str, str] = {
        "GRIDPLUS_JWT_SECRET": JWT_SECRET,
        "GRIDPLUS_CONSOLE_DEV_LOGIN": "on",
        "GRIDPLUS_CONSOLE_SESSION_SECRET": "s" * 40,
        "GRIDPLUS_CONSOLE_DEV_PEOPLE": json.dumps(DEV_PEOPLE),
        **overrides,
    }
    return ConsoleSettings.from_env(Env(env))


@pytest.fixture
def console() -> Flask:
    return create_app(console_settings())
