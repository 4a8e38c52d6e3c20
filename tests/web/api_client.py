"""Helpers for the API tests: an app on a fresh copy of the test world."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.world import WorldApp, build_world


@pytest.fixture(scope="session")
def built_world(tmp_path_factory: pytest.TempPathFactory):
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def world_app(built_world, tmp_path: Path) -> WorldApp:
    """The app on a private copy of the world (changes stay in the test)."""
    return WorldApp(built_world, tmp_path)
