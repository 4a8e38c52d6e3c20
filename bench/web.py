"""Web pages under load: dashboard and worklist latency with 20 concurrent users.

Builds (once) a synthetic company of ``--customers`` customers (default 100,000) in
``bench/out/web/``, scores it and seeds the demo users, starts ``churnguard``'s app in its own
process (uvicorn, one worker, as ``churnguard serve`` does), then runs ``--users`` concurrent
logged-in users for ``--seconds``: managers reload the dashboard (with a random filter now and
then), reps reload their worklist page by page. Reports p50/p95/p99 per page, requests/s and
errors, and — the baseline measured in the same run — the cold dashboard (aggregates computed
on request, as without the cache) against the cached p95.

Usage::

    .venv/bin/python bench/web.py --customers 100000 --users 20 --seconds 60
    .venv/bin/python bench/web.py --no-model --think 1 --indexes off   # before migration 0003
    .venv/bin/python bench/web.py --no-model --think 1 --worklist-cache off
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
SERVER = """
import sys, uvicorn
from churnguard import Workspace
from churnguard.web.app import create_app
app = create_app(Workspace.open(sys.argv[1], mode="read"))  # as churnguard serve
sys.path.insert(0, sys.argv[5])
from web import set_worklist_indexes
set_worklist_indexes(app.state.engine, on=sys.argv[3] == "on")
if sys.argv[4] == "off":  # the worklist's app-store part computed on every request
    import churnguard.web.pages.worklist as worklist
    worklist.store_version = lambda request: None
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
#: The indexes of migration 0003 (``--indexes off`` measures the schema before it).
WORKLIST_INDEXES = ("ix_customers_owner_worklist", "ix_customers_worklist",
                    "ix_customers_owner_status", "ix_tasks_owner_status_due",
                    "ix_risk_cases_owner_value")


def set_worklist_indexes(engine, *, on: bool) -> None:  # noqa: ANN001
    """Create (``on``) or drop the worklist indexes of migration 0003 and the planner
    statistics on a SQLite app store, so one database serves both sides of the comparison."""
    from sqlalchemy import inspect, text

    from churnguard.workflow.models import Base

    if engine.dialect.name != "sqlite":
        return
    declared = {i.name: i for t in Base.metadata.sorted_tables for i in t.indexes}
    with engine.begin() as conn:
        present = {i["name"] for t in ("customers", "tasks", "risk_cases")
                   for i in inspect(conn).get_indexes(t)}
        for name in WORKLIST_INDEXES:
            if on and name not in present:
                declared[name].create(conn)
            elif not on and name in present:
                conn.execute(text(f"DROP INDEX {name}"))
        conn.execute(text("ANALYZE") if on else text("DELETE FROM sqlite_stat1"))
    engine.dispose()  # new connections read the statistics as they are now


def build(folder: Path, customers: int, *, model: bool) -> None:
    """Synthetic company, risk scores (the model's, or random stand-ins with ``model=False``),
    demo users and sync. Each step is skipped when already done."""
    from churnguard import Workspace
    from churnguard.synth import DEFAULT_END, generate, load

    started = time.perf_counter()
    ws = Workspace.create(folder, exist_ok=True)
    if not ws.has_table("orders"):
        load(ws, generate(customers, years=3, seed=0, end=DEFAULT_END))
        print(f"synth + load: {time.perf_counter() - started:.0f} s")
    if not ws.has_table("risk_scores"):
        started = time.perf_counter()
        if model:
            from churnguard.risk.scoring import score

            score(ws, DEFAULT_END, save=True)
            print(f"risk scores (model): {time.perf_counter() - started:.0f} s")
        else:
            _random_scores(ws, DEFAULT_END)
            print("risk scores: random stand-ins (--no-model)")
    if not (folder / "app.db").exists():
        from churnguard.workflow.demo import seed_demo

        seed_demo(ws, as_of=DEFAULT_END)
    ws.close()


def _random_scores(ws, as_of: date) -> None:  # noqa: ANN001
    import numpy as np
    import pyarrow as pa

    ids = ws.to_pandas("customers")["customer_id"]
    p = np.random.default_rng(0).beta(1, 4, len(ids))
    ws.warehouse.replace("risk_scores", pa.table({
        "customer_id": ids, "as_of": pa.array([as_of] * len(ids)), "p_churn": p,
        "risk_band": np.where(p >= 0.5, "high", np.where(p >= 0.2, "medium", "low")),
        "profit_at_risk": p * 1000, "rules_en": ["orders fell 60%"] * len(ids),
        "rules_zh": ["近90天订单下降60%"] * len(ids)}))


class Server:
    """The app in a child process."""

    def __init__(self, folder: Path, port: int, *, indexes: str = "on",
                 worklist_cache: str = "on") -> None:
        self.port = port
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, str(folder), str(port),
                                         indexes, worklist_cache, str(HERE)])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def session(base: str, username: str) -> httpx.Client:
    """A client logged in through the HTML form."""
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    client.get("/login")
    token = client.cookies.get("cg_csrf")
    response = client.post("/login", data={"username": username, "password": "demo",
                                           "csrf_token": token})
    assert response.status_code == 303, response.text
    return client


def user_loop(client: httpx.Client, role: str, stop: float, out: dict, errors: list,
              seed: int, think: float) -> None:
    rng = random.Random(seed)
    while time.monotonic() < stop:
        if think:
            time.sleep(rng.uniform(0, 2 * think))
        if role == "manager":
            page = "dashboard"
            url = "/dashboard" if rng.random() < 0.8 else "/dashboard?segment=smb"
        else:
            page = "worklist"
            url = f"/my-customers?page={rng.randint(1, 5)}"
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            errors.append((url, response.status_code))
        out.setdefault(page, []).append(elapsed)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--think", type=float, default=0.0,
                        help="Mean think time between a user's requests, seconds (0: none).")
    parser.add_argument("--folder", type=Path, default=HERE / "out" / "web")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-model", action="store_true",
                        help="Random risk scores instead of fitting the model (faster setup).")
    parser.add_argument("--indexes", choices=("on", "off"), default="on",
                        help="off: drop the worklist indexes (migration 0003) and the SQLite "
                             "planner statistics first, to measure the schema before them.")
    parser.add_argument("--worklist-cache", choices=("on", "off"), default="on",
                        help="off: query the app store on every worklist request (as on "
                             "PostgreSQL, or after every write on SQLite).")
    args = parser.parse_args()
    folder = args.folder / f"c{args.customers}"
    if args.rebuild and folder.exists():
        shutil.rmtree(folder)
    build(folder, args.customers, model=not args.no_model)
    server = Server(folder, args.port, indexes=args.indexes,
                    worklist_cache=args.worklist_cache)
    base = f"http://127.0.0.1:{args.port}"
    try:
        manager = session(base, "manager")
        started = time.perf_counter()
        assert manager.get("/dashboard").status_code == 200
        cold = time.perf_counter() - started  # aggregates computed on this request
        clients = [(session(base, "manager"), "manager") if i % 2 == 0
                   else (session(base, "rep1" if i % 4 == 1 else "rep2"), "rep")
                   for i in range(args.users)]
        for client, role in clients:  # first visit of each page variant warms the cache
            client.get("/dashboard?segment=smb" if role == "manager" else "/my-customers")
        out: dict[str, list[float]] = {}
        errors: list = []
        stop = time.monotonic() + args.seconds
        threads = [threading.Thread(target=user_loop, args=(c, r, stop, out, errors, i, args.think))
                   for i, (c, r) in enumerate(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
    total = sum(len(v) for v in out.values())
    print(f"\ndata: {args.customers:,} customers (synth, 3 years); machine: "
          f"{os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}")
    print(f"load: {args.users} concurrent users (think time {args.think:g} s) for "
          f"{args.seconds:.0f} s, one server process, worklist indexes {args.indexes}, "
          f"worklist cache {args.worklist_cache}; "
          f"{total:,} requests ({total / args.seconds:.1f}/s), {len(errors)} errors")
    for page, values in sorted(out.items()):
        print(f"{page:10s} n={len(values):5d}  p50 {percentile(values, .5) * 1000:6.0f} ms  "
              f"p95 {percentile(values, .95) * 1000:6.0f} ms  "
              f"p99 {percentile(values, .99) * 1000:6.0f} ms  "
              f"mean {statistics.mean(values) * 1000:6.0f} ms")
    if "dashboard" in out:
        p95 = percentile(out["dashboard"], .95)
        print(f"baseline (same run): cold dashboard {cold * 1000:.0f} ms (aggregates computed "
              f"on request) vs cached p95 {p95 * 1000:.0f} ms under load: "
              f"{cold / p95:.0f}x faster")
    if errors:
        print("errors:", errors[:10])


if __name__ == "__main__":
    main()
