"""Hand-over of a leaver's 10,000 accounts: the background job against the old one-request
``bulk_reassign``, on the same SQLite app store (30 % of the book churned).

Run: ``.venv/bin/python bench/handover.py [--customers 10000] [--skip-old]``.

Measured 2026-12-05 on the shared 2-core machine (load ~4–8, other sessions running):
see docs/workflow.md "Hand-over as a background job".
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date

from sqlalchemy import func, select

from churnguard.workflow import make_engine, make_sessionmaker, migrate
from churnguard.workflow.jobs import start_job
from churnguard.workflow.models import Customer, Task
from churnguard.workflow.services import auth, handover
from churnguard.workflow.services.handover_job import run_handover


def build(n: int) -> tuple[object, dict[str, int]]:
    url = f"sqlite:///{tempfile.mkdtemp(prefix='handover-')}/app.db"
    migrate(url)
    factory = make_sessionmaker(make_engine(url))
    auth.use_fast_hashing()
    with factory() as db:
        users = {
            name: auth.create_user(db, name, "pw-bench-1", role="rep")
            for name in ("leaver", "rep1", "rep2")
        }
        db.flush()
        db.add_all(
            [
                Customer(
                    id=f"c{i:06d}",
                    name=f"C{i}",
                    owner_id=users["leaver"].id,
                    status="churned" if i % 10 < 3 else "active",
                    value_if_retained=float((i * 7919) % 10_000),
                )
                for i in range(n)
            ]
        )
        db.commit()
        return factory, {k: u.id for k, u in users.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--skip-old", action="store_true")
    args = parser.parse_args()
    factory, ids = build(args.customers)
    started = time.perf_counter()
    start_job(
        factory,
        "handover",
        lambda job: run_handover(
            factory, job, ids["leaver"], [ids["rep1"], ids["rep2"]], today=date.today()
        ),
        background=False,
    )
    new = time.perf_counter() - started
    with factory() as db:
        intros = db.scalar(select(func.count()).select_from(Task))
        days = db.scalar(select(func.count(func.distinct(Task.due_date))))
    print(
        f"job: {args.customers:,} accounts in {new:.1f} s; {intros:,} introduction tasks "
        f"over {days} days"
    )
    if args.skip_old:
        return
    factory, ids = build(args.customers)
    started = time.perf_counter()
    with factory() as db:
        leaver = db.get(handover.User, ids["leaver"])
        handover.bulk_reassign(
            db, leaver, [db.get(handover.User, ids["rep1"]), db.get(handover.User, ids["rep2"])]
        )
        db.commit()
    print(f"old bulk_reassign (one request): {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
