"""A small world for web tests: a team, customers, and one of every record, with a logged-in
session per actor. Built once into a SQLite file; each test (or each writing request) works on
a fresh copy.

Actors: ``anon``; ``owner`` (rep ann, owns ``c_ann`` and every record on it); ``peer`` (rep bo,
same team, owns ``c_bo``); ``manager`` (mia, manages ann and bo); ``other_manager`` (max, manages
rep cy who owns ``c_cy``); ``admin``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from churnguard.web.app import create_app
from churnguard.web.security import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    CookieSigner,
    WebSettings,
    new_csrf_token,
)
from churnguard.workflow import make_engine, make_sessionmaker, migrate
from churnguard.workflow.models import CareEvent, Customer
from churnguard.workflow.services import (
    archive,
    auth,
    campaigns,
    care,
    cases,
    complaints,
    surveys,
    tasks,
)

auth.use_fast_hashing()
SECRET = "test-secret"
LONG_SESSIONS = auth.LoginPolicy(session_lifetime=timedelta(days=3650))
ACTORS = ("anon", "owner", "peer", "manager", "other_manager", "admin")
LOGINS = {"owner": "ann", "peer": "bo", "manager": "mia", "other_manager": "max",
          "admin": "admin"}
PASSWORD = "pw-test"


@dataclass
class World:
    """Ids of the records and the session cookies of the actors."""

    path: Path
    ids: dict[str, object] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


def build_world(folder: Path) -> World:
    """Create the world's database file in ``folder``."""
    path = folder / "world.db"
    url = f"sqlite:///{path}"
    migrate(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    world = World(path=path)
    with factory() as db:
        users = {"admin": auth.create_user(db, "admin", PASSWORD, role="admin")}
        users["mia"] = auth.create_user(db, "mia", PASSWORD, role="manager")
        users["max"] = auth.create_user(db, "max", PASSWORD, role="manager")
        for rep, boss in (("ann", "mia"), ("bo", "mia"), ("cy", "max")):
            users[rep] = auth.create_user(db, rep, PASSWORD, manager_id=users[boss].id)
        made = {}
        for cid, owner in (("c_ann", "ann"), ("c_bo", "bo"), ("c_cy", "cy"),
                           ("a_ann", "ann")):
            made[cid] = Customer(id=cid, name=cid.upper(), owner_id=users[owner].id,
                                 segment="smb", p_churn=0.7, birthday=date(1990, 1, 15))
            db.add(made[cid])
        db.flush()
        world.ids.update({f"user_{k}": u.id for k, u in users.items()})
        world.ids["task"] = tasks.create_task(db, made["c_ann"], title="Call ANN").id
        world.ids["complaint"] = complaints.log_complaint(db, made["c_ann"],
                                                          reason="delivery").id
        world.ids["case"] = cases.open_case(db, made["c_ann"]).id
        care.generate_care_events(db, start=date(2030, 1, 1), days_ahead=30)
        world.ids["care_event"] = db.scalar(select(CareEvent.id).where(
            CareEvent.customer_id == "c_ann").order_by(CareEvent.id))
        world.ids["survey"] = surveys.send_survey(db, made["c_ann"]).id
        record = archive.archive_customer(db, made["a_ann"], churn_date=date(2024, 3, 1),
                                          reason="price", valuable=True)
        world.ids["archive_record"] = record.id
        world.ids["campaign"] = campaigns.create_campaign(db, "win back", ["a_ann", "c_ann"],
                                                          holdout_share=0.0).id
        world.ids["improvement"] = surveys.create_improvement(db, "delivery", "new courier").id
        signer_tokens = {}
        for actor, login in LOGINS.items():
            _user, token = auth.login(db, login, PASSWORD, policy=LONG_SESSIONS)
            signer_tokens[actor] = token
        db.commit()
    engine.dispose()
    signer = CookieSigner(SECRET)
    world.cookies = {actor: signer.dumps(token) for actor, token in signer_tokens.items()}
    return world


def web_settings() -> WebSettings:
    return WebSettings(secret_key=SECRET, session_hours=24 * 365 * 20, escalation_minutes=0)


class WorldApp:
    """The app on a copy of the world, with a client per actor and a reset for writes."""

    def __init__(self, world: World, folder: Path) -> None:
        self.world = world
        self.path = folder / "app.db"
        shutil.copy(world.path, self.path)
        self.app = create_app(database_url=f"sqlite:///{self.path}", settings=web_settings())
        self.csrf = new_csrf_token(CookieSigner(SECRET), None)  # a visitor's

    def reset(self) -> None:
        """Put the database back to the world as built."""
        self.app.state.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
        shutil.copy(self.world.path, self.path)

    def client(self, actor: str) -> TestClient:
        """A client logged in as ``actor`` (``anon``: no session), sending the CSRF token."""
        client = TestClient(self.app, follow_redirects=False)
        session = self.world.cookies.get(actor)
        token = new_csrf_token(CookieSigner(SECRET), session) if session else self.csrf
        client.cookies.set(CSRF_COOKIE, token)
        client.headers[CSRF_HEADER] = token
        if session:
            client.cookies.set(SESSION_COOKIE, session)
        return client
