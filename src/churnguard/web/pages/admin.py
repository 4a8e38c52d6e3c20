"""Administration: users and roles, hand-over when staff leave, data import, goals and rules."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import func, select

from churnguard.errors import ChurnguardError
from churnguard.i18n import translate
from churnguard.io.schema import TABLES
from churnguard.report.review import optional_function
from churnguard.web.deps import DbSession
from churnguard.web.pages.common import language, page_role, redirect, render, warehouse
from churnguard.workflow.errors import InvalidInputError, NotFoundError
from churnguard.workflow.models import ROLES, Customer, User
from churnguard.workflow.services import auth, scope
from churnguard.workflow.services import handover as handover_service

router = APIRouter()
Manager = Annotated[User, page_role("manager", "admin")]
Admin = Annotated[User, page_role("admin")]
IMPORT_SUFFIXES = (".csv", ".xlsx", ".xls", ".parquet", ".txt")


def _page(request: Request, user: User, db: Any, **extra: Any) -> Response:
    users = db.scalars(select(User).order_by(User.role, User.username)).all()
    owned = dict(db.execute(select(Customer.owner_id, func.count())
                            .group_by(Customer.owner_id)).all())
    ws = request.app.state.workspace if hasattr(request.app.state, "workspace") else None
    settings = ws.settings if ws is not None else None
    return render(request, "admin.html", user, users=users, owned=owned, roles=ROLES,
                  tables=[t for t in TABLES if t != "ground_truth"],
                  manageable=sorted((u for u in users if scope.can_manage(user, u)),
                                    key=lambda u: (-owned.get(u.id, 0), u.username)),
                  rules=effective_rules(settings.section("rules") if settings else {}),
                  playbooks=effective_playbooks(settings.section("playbooks") if settings
                                                else {}),
                  settings_path=str(Path(ws.folder) / "churnguard.toml") if ws else "",
                  **extra)


def effective_rules(section: dict[str, Any]) -> list[dict[str, Any]]:
    """The warning rules in force (defaults with the toml's ``[rules]`` applied)."""
    build = optional_function("churnguard.risk.rules", "rules_from_settings")
    if build is None:
        return []
    try:
        rules = build(section)
    except ChurnguardError as exc:
        return [{"name": "error", "feature": str(exc), "threshold": None, "severity": None,
                 "enabled": False, "zh": "", "en": ""}]
    return [{"name": r.name, "feature": r.feature, "threshold": r.threshold,
             "severity": r.severity, "enabled": r.enabled, "zh": r.zh, "en": r.en}
            for r in rules]


def effective_playbooks(section: dict[str, Any]) -> dict[str, Any]:
    """The playbooks in force: the toml's ``[playbooks]``, else the built-in ones."""
    if section:
        return section
    try:
        from churnguard.workflow.services.playbooks import DEFAULT_PLAYBOOKS
    except ImportError:
        return {}
    return DEFAULT_PLAYBOOKS


@router.get("/admin")
def admin_page(request: Request, user: Manager, db: DbSession) -> Response:
    """Users, hand-over, import, thresholds and playbooks."""
    return _page(request, user, db)


@router.post("/admin/users")
def add_user(user: Admin, db: DbSession, username: Annotated[str, Form()],
             password: Annotated[str, Form()], role: Annotated[str, Form()] = "rep",
             display_name: Annotated[str, Form()] = "",
             manager_id: Annotated[str, Form()] = "") -> Response:
    """Create a user with a role (admins only)."""
    if role not in ROLES:
        raise InvalidInputError(f"role {role!r} is not one of {', '.join(ROLES)}.")
    if len(password) < 8:
        raise InvalidInputError("a password needs at least 8 characters.")
    created = auth.create_user(db, username.strip(), password, role=role)
    created.display_name = display_name.strip() or None
    created.manager_id = int(manager_id) if manager_id else None
    return redirect("/admin#users")


@router.post("/admin/users/{user_id}/role")
def change_role(user_id: int, user: Admin, db: DbSession, role: Annotated[str, Form()],
                active: Annotated[bool, Form()] = False) -> Response:
    """Change a user's role or deactivate them (admins only)."""
    target = db.get(User, user_id)
    if target is None:
        raise NotFoundError(f"user {user_id} does not exist.")
    if role not in ROLES:
        raise InvalidInputError(f"role {role!r} is not one of {', '.join(ROLES)}.")
    if target.id == user.id and (role != "admin" or not active):
        raise InvalidInputError("you cannot remove your own admin role or deactivate yourself.")
    target.role = role
    target.active = active
    return redirect("/admin#users")


@router.post("/admin/handover")
def handover(request: Request, user: Manager, db: DbSession,
             from_user: Annotated[int, Form()], to_user: Annotated[int, Form()],
             reason: Annotated[str, Form()] = "", leaving: Annotated[bool, Form()] = False
             ) -> Response:
    """Reassign a leaving colleague's customers to a new owner."""
    source, target = db.get(User, from_user), db.get(User, to_user)
    if source is None or target is None:
        raise NotFoundError("choose both the person leaving and the new owner.")
    if source.id == target.id:
        raise InvalidInputError("choose a different person to take the customers over.")
    if leaving:
        handover_service.mark_leaving(db, source, left_on=date.today(), by=user)
    ids = [c.id for c in handover_service.handover_list(db, source)]
    moved = handover_service.reassign(db, ids, target, by=user,
                                      reason=reason.strip() or "hand-over")
    message = translate("admin.handover_done", language(request), n=len(moved),
                        source=source.display_name or source.username,
                        target=target.display_name or target.username)
    return _page(request, user, db, flash=message)


@router.post("/admin/import")
def import_data(request: Request, user: Manager, db: DbSession,
                table: Annotated[str, Form()],
                upload: Annotated[UploadFile | None, File()] = None) -> Response:
    """Load an uploaded CSV/xlsx into a canonical table with the CLI's validation."""
    lang = language(request)
    if upload is None or not upload.filename:
        return _page(request, user, db, flash=translate("admin.no_file", lang),
                     flash_kind="error")
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        return _page(request, user, db, flash_kind="error",
                     flash=f"{upload.filename}: use a .csv, .xlsx or .parquet file.")
    with tempfile.TemporaryDirectory(prefix="churnguard-upload-") as folder:
        path = Path(folder) / Path(upload.filename).name
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out)
        try:
            with warehouse(request) as ws:
                if ws is None:
                    raise ChurnguardError("this app has no workspace to import into.")
                result = ws.load(table, path)
        except ChurnguardError as exc:
            text = translate("admin.import_failed", lang) + "\n" + str(exc)
            return _page(request, user, db, flash=text, flash_kind="error", import_table=table)
    text = translate("admin.import_ok", lang, table=table, rows=result.rows_read,
                     inserted=result.inserted, updated=result.updated)
    return _page(request, user, db, flash=text, import_table=table)
