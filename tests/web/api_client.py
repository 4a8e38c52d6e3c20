"""Helpers for the API tests: an app on a fresh copy of the test world.

Each test module declares::

    @pytest.fixture
    def world_app(tmp_path):
        return fresh_world_app(tmp_path)
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from tests.web.world import World, WorldApp, build_world


@cache
def _world() -> World:
    """The world, built once per test process."""
    return build_world(Path(tempfile.mkdtemp(prefix="cg-world-")))


def fresh_world_app(folder: Path) -> WorldApp:
    """The app on a private copy of the world in ``folder`` (changes stay in the test)."""
    return WorldApp(_world(), folder)
