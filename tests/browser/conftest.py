"""A live app on a free port and one headless Chromium for the whole browser module.

Chromium is Debian's (``/usr/bin/chromium``, installed with apt); Playwright drives it through
``executable_path`` — never ``playwright install``. Tests skip when it is absent.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.web.pages_support import (
    seed_store,  # noqa: F401 - documents where users come from
    shop_template,  # noqa: F401
)

CHROMIUM = os.environ.get("CHURNGUARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(app):  # noqa: ANN001, ANN201 - a FastAPI app
    """Serve ``app`` with uvicorn in a thread on a free port; yields the base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def open_shop_copy(template: Path, folder: Path, prepare=None):  # noqa: ANN001, ANN201
    """A copy of the shop workspace and its app; ``prepare(ws, app)`` runs before serving."""
    from churnguard import Workspace
    from churnguard.web.app import create_app
    from churnguard.workflow.services import auth

    shutil.copytree(template, folder)
    auth.use_fast_hashing()
    ws = Workspace.open(folder)
    app = create_app(ws)
    if prepare is not None:
        prepare(ws, app)
    return ws, app


@pytest.fixture(scope="module")
def live_app(shop_template, tmp_path_factory):  # noqa: ANN001, ANN201, F811
    """The shop served by uvicorn in a thread: yields the base URL."""
    ws, app = open_shop_copy(shop_template[0], tmp_path_factory.mktemp("live") / "shop")
    with serving(app) as base:
        yield base
    ws.close()


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    """One headless Chromium for the module."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium fonts-noto-cjk)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where screenshots go: ``CHURNGUARD_SCREENSHOTS`` (e.g. docs/screenshots) or tmp."""
    folder = Path(os.environ.get("CHURNGUARD_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
