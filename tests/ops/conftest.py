"""Operations tests: a real `churnguard serve` process on loopback, CLI commands as processes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from churnguard.web.security import CSRF_COOKIE, CSRF_HEADER

AS_OF = "2026-07-01"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def churnguard(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the ``churnguard`` CLI in its own process."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "churnguard", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture(scope="session")
def shop_template(tmp_path_factory) -> Path:  # noqa: ANN001
    """A small synthetic shop with the demo users (admin, manager, rep1, rep2; password demo),
    built once; tests take copies."""
    from churnguard import Workspace
    from churnguard.synth import generate, load
    from churnguard.workflow.demo import seed_demo

    folder = tmp_path_factory.mktemp("ops") / "shop"
    with Workspace.create(folder) as ws:
        load(ws, generate(150, years=2, seed=7))
        seed_demo(ws)
    return folder


@pytest.fixture
def shop(shop_template, tmp_path) -> Path:  # noqa: ANN001
    folder = tmp_path / "shop"
    shutil.copytree(shop_template, folder)
    return folder


@contextmanager
def served(folder: Path, *extra: str) -> Iterator[str]:
    """``churnguard serve`` as a process on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "CHURNGUARD_WORKSPACE": str(folder)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "churnguard",
            "serve",
            "-w",
            str(folder),
            "--port",
            str(port),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server stopped: {process.stdout.read()}")
            try:
                if httpx.get(base + "/login", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the server did not answer within 120 s")
            time.sleep(0.2)  # waiting for the process to listen, not for time to pass
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def logged_in(base: str, username: str, password: str = "demo") -> httpx.Client:
    """An HTTP client with a session of ``username`` (CSRF token sent as the app asks)."""
    client = httpx.Client(base_url=base, timeout=120, follow_redirects=False)
    client.get("/login")
    client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
    answer = client.post("/api/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
    return client
