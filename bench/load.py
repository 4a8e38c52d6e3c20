"""Load test of the web app: concurrent users, mixed reads and writes, against a real server.

Builds a workspace with the synthetic company (``--customers``, default 20,000), seeds the demo
users (``churnguard.workflow.demo.seed_demo``), starts ``churnguard serve`` on 127.0.0.1 and
runs two phases with the same request mix:

1. baseline: one user for ``--baseline-seconds`` (default 10 s);
2. load: ``--users`` concurrent users (default 20) for ``--seconds`` (default 60 s).

Each user logs in with its own session (as rep1, rep2, manager or admin in turn) and loops
over: customer list pages, customer detail, task list, complaint list, KPIs (reads, ~75 %);
create a task, update its own task with its version, add loyalty points (writes, ~25 %).
Any status ≥ 400 or transport error counts as an error. Reported: requests, throughput,
p50/p95/p99 latency per operation and overall, errors, and the p95 ratio load/baseline.

Run: ``.venv/bin/python bench/load.py [--customers N] [--users N] [--seconds S]
[--database-url postgresql+psycopg://…]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np

from churnguard import Workspace
from churnguard.synth import generate, load
from churnguard.workflow.demo import seed_demo

ERRORS: list[str] = []
LOGINS = ("rep1", "rep2", "manager", "admin")
MIX = (("list_customers", 30), ("customer_detail", 15), ("list_tasks", 15),
       ("list_complaints", 10), ("kpis", 5), ("create_task", 10), ("update_task", 10),
       ("add_points", 5))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build(folder: Path, customers: int, database_url: str | None) -> Workspace:
    ws = Workspace.create(folder / "shop", database_url=database_url)
    started = time.perf_counter()
    load(ws, generate(customers, years=2, seed=0))
    seeded = seed_demo(ws)
    print(f"data: {customers:,} customers synthesised, synced and shared between "
          f"{', '.join(f'{k} ({v:,})' for k, v in seeded['customers'].items())} in "
          f"{time.perf_counter() - started:.0f} s; app database "
          f"{'PostgreSQL' if database_url else 'SQLite'}")
    return ws


def start_server(ws: Workspace, port: int) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "churnguard"), "serve", "--workspace",
               str(ws.folder), "--port", str(port)]
    log = open(Path(ws.folder) / "server.log", "wb")  # noqa: SIM115 - lives with the server
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/auth/me").status_code == 401:
                return server
        except httpx.TransportError:
            time.sleep(0.3)
    server.kill()
    text = (Path(ws.folder) / "server.log").read_text(errors="replace")
    raise RuntimeError("the server did not start: " + text[-2000:])


class VirtualUser:
    """One person clicking around: own session, own tasks, a random but seeded mix."""

    def __init__(self, base: str, login: str, seed: int) -> None:
        self.client = httpx.Client(base_url=base, timeout=60)
        self.rng = random.Random(seed)
        response = self.client.post("/api/auth/login", json={"username": login,
                                                             "password": "demo"})
        response.raise_for_status()
        page = self.client.get("/api/customers", params={"page_size": 200}).json()
        self.customers = [c["customer_id"] for c in page["items"]]
        self.tasks: dict[int, int] = {}  # own task id → version

    def step(self) -> tuple[str, float, bool]:
        names = [name for name, _ in MIX]
        op = self.rng.choices(names, weights=[w for _, w in MIX])[0]
        if op == "update_task" and not self.tasks:
            op = "create_task"
        started = time.perf_counter()
        try:
            ok = getattr(self, op)()
        except httpx.HTTPError as exc:
            ERRORS.append(f"{op}: {exc!r}")
            ok = False
        return op, time.perf_counter() - started, ok

    def _ok(self, response: httpx.Response) -> bool:
        if response.status_code >= 400:
            ERRORS.append(f"{response.request.method} {response.request.url.path}: "
                          f"{response.status_code} {response.text[:200]}")
        return response.status_code < 400

    def list_customers(self) -> bool:
        return self._ok(self.client.get("/api/customers", params={
            "page": self.rng.randint(1, 40), "page_size": 50}))

    def customer_detail(self) -> bool:
        return self._ok(self.client.get(f"/api/customers/{self.rng.choice(self.customers)}"))

    def list_tasks(self) -> bool:
        return self._ok(self.client.get("/api/tasks"))

    def list_complaints(self) -> bool:
        return self._ok(self.client.get("/api/complaints", params={"status": "open"}))

    def kpis(self) -> bool:
        return self._ok(self.client.get("/api/kpis"))

    def create_task(self) -> bool:
        response = self.client.post("/api/tasks", json={
            "customer_id": self.rng.choice(self.customers), "title": "Follow-up call",
            "kind": "call"})
        if response.status_code == 201:
            body = response.json()
            self.tasks[body["id"]] = body["version"]
        return self._ok(response)

    def update_task(self) -> bool:
        task_id = self.rng.choice(list(self.tasks))
        response = self.client.patch(f"/api/tasks/{task_id}", json={
            "version": self.tasks[task_id], "outcome": f"note {self.rng.random():.3f}"})
        if response.status_code == 200:
            self.tasks[task_id] = response.json()["version"]
        return self._ok(response)

    def add_points(self) -> bool:
        return self._ok(self.client.post(
            f"/api/customers/{self.rng.choice(self.customers)}/points",
            json={"delta": 10, "reason": "load test"}))


def run_phase(base: str, users: int, seconds: float) -> dict[str, list[tuple[float, bool]]]:
    people = [VirtualUser(base, LOGINS[i % len(LOGINS)], seed=i) for i in range(users)]
    results: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work(person: VirtualUser) -> None:
        local = []
        while time.monotonic() < deadline:
            local.append(person.step())
        with lock:
            for op, latency, ok in local:
                results[op].append((latency, ok))

    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def report(title: str, results: dict[str, list[tuple[float, bool]]], seconds: float
           ) -> float:
    print(f"\n{title}")
    print(f"{'operation':<18}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    every = []
    for op, rows in sorted(results.items()):
        ms = np.array([r[0] for r in rows]) * 1000
        errors = sum(not r[1] for r in rows)
        every += rows
        print(f"{op:<18}{len(rows):>9}{errors:>8}{np.percentile(ms, 50):>9.1f}"
              f"{np.percentile(ms, 95):>9.1f}{np.percentile(ms, 99):>9.1f}")
    ms = np.array([r[0] for r in every]) * 1000
    errors = sum(not r[1] for r in every)
    p95 = float(np.percentile(ms, 95))
    print(f"{'all':<18}{len(every):>9}{errors:>8}{np.percentile(ms, 50):>9.1f}{p95:>9.1f}"
          f"{np.percentile(ms, 99):>9.1f}   {len(every) / seconds:.0f} requests/s")
    return p95


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    load_avg = os.getloadavg()[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average "
          f"{load_avg:.1f} at start; Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        ws = build(Path(folder), args.customers, args.database_url)
        ws.close()  # the server opens the DuckDB file itself (one process at a time)
        port = _free_port()
        server = start_server(ws, port)
        base = f"http://127.0.0.1:{port}"
        try:
            VirtualUser(base, "admin", seed=-1).kpis()  # warm the KPI cache once
            baseline = run_phase(base, 1, args.baseline_seconds)
            p95_one = report(f"baseline: 1 user, {args.baseline_seconds:.0f} s", baseline,
                             args.baseline_seconds)
            loaded = run_phase(base, args.users, args.seconds)
            p95_many = report(f"load: {args.users} concurrent users, {args.seconds:.0f} s",
                              loaded, args.seconds)
            errors = sum(not ok for rows in loaded.values() for _, ok in rows)
            for line in sorted(set(ERRORS))[:10]:
                print(f"error: {line}")
            print(f"\np95 ratio load/baseline: {p95_many / p95_one:.1f}x; errors under load: "
                  f"{errors}")
        finally:
            server.terminate()
            server.wait(timeout=30)
            log = (Path(folder) / "shop" / "server.log").read_text(errors="replace")
            if "Traceback" in log:
                print("server log (last traceback):\n" + log[log.rindex("Traceback"):][-2500:])
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
