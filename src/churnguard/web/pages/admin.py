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

from churnguard.constraints import RecordId
from churnguard.errors import ChurnguardError, ConfigError
from churnguard.i18n import translate
from churnguard.io.readers import safe_upload_name
from churnguard.io.schema import TABLES
from churnguard.report.fit_notes import latest_fit_notes
from churnguard.web import freshness
from churnguard.web.deps import DbSession
from churnguard.web.pages.admin_settings import (
    PLAYBOOK_FIELDS,
    PlaybookForm,
    current_version,
    playbook_rows,
    rule_rows,
    save_playbook,
    save_rule,
)
from churnguard.web.pages.common import language, page_role, redirect, render
from churnguard.workflow.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from churnguard.workflow.jobs import duration, recent_jobs
from churnguard.workflow.models import ROLES, Customer, User
from churnguard.workflow.models.tasks import TASK_KINDS
from churnguard.workflow.services import auth, scope
from churnguard.workflow.services import handover as handover_service
from churnguard.workflow.services.handover_job import BATCH as HANDOVER_BATCH
from churnguard.workflow.services.handover_job import start_handover
from churnguard.workflow.settings import WorkflowPolicy

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
                  rules=rule_rows(settings.section("rules") if settings else {}),
                  playbooks=playbook_rows(settings.section("playbooks") if settings else {}),
                  settings_path=str(Path(ws.folder) / "churnguard.toml") if ws else "",
                  settings_version=current_version(Path(ws.folder) if ws else None),
                  can_edit_settings=ws is not None and user.role == "admin",
                  playbook_fields=PLAYBOOK_FIELDS, task_kinds=TASK_KINDS,
                  fit_notes=latest_fit_notes(ws) if ws is not None else None,
                  jobs=recent_jobs(db), job_seconds=duration, **extra)


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
def change_role(user_id: RecordId, user: Admin, db: DbSession, role: Annotated[str, Form()],
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
             from_user: Annotated[RecordId, Form()], to_user: Annotated[RecordId, Form()],
             reason: Annotated[str, Form()] = "", leaving: Annotated[bool, Form()] = False
             ) -> Response:
    """Hand a colleague's customers to a new owner as a background job (its page shows the
    progress); with ``leaving``, their login stops today."""
    source, target = db.get(User, from_user), db.get(User, to_user)
    if source is None or target is None:
        raise NotFoundError("choose both the person leaving and the new owner.")
    if source.id == target.id:
        raise InvalidInputError("choose a different person to take the customers over.")
    if not (scope.can_manage(user, source) and scope.can_manage(user, target)):
        raise PermissionDeniedError(f"{user.username} may not move customers from "
                                    f"{source.username} to {target.username}.")
    if not target.active or target.left_on is not None:
        raise InvalidInputError(f"{target.username} is leaving or inactive; choose another "
                                f"owner.")
    if leaving:
        handover_service.mark_leaving(db, source, left_on=date.today(), by=user)
    db.commit()  # the job works in sessions of its own
    size = db.scalar(select(func.count()).select_from(Customer).where(
        Customer.owner_id == source.id)) or 0
    # a book of one batch is done within the request; a larger one runs in the background
    job_id = start_handover(request.app.state.sessionmaker, source.id, [target.id],
                            background=size > HANDOVER_BATCH,
                            rule="round_robin", by_id=user.id,
                            reason=reason.strip()[:200] or "hand-over",
                            policy=WorkflowPolicy.of(getattr(request.app.state, "workspace",
                                                             None)))
    return redirect(f"/jobs/{job_id}")


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
        path = Path(folder) / safe_upload_name(upload.filename)
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out)
        try:
            ws = request.app.state.workspace if hasattr(request.app.state, "workspace") \
                else None
            if ws is None:
                raise ChurnguardError("this app has no workspace to import into.")
            with ws.writing() as writer:  # published as a new version when loaded
                result = writer.load(table, path)
            freshness.follow(request.app, ws)
        except ChurnguardError as exc:
            text = translate("admin.import_failed", lang) + "\n" + str(exc)
            return _page(request, user, db, flash=text, flash_kind="error", import_table=table)
    text = translate("admin.import_ok", lang, table=table, rows=result.rows_read,
                     inserted=result.inserted, updated=result.updated)
    return _page(request, user, db, flash=text, import_table=table)


@router.post("/admin/rules/{name}")
def edit_rule(request: Request, name: str, user: Admin, db: DbSession,
              threshold: Annotated[str, Form()] = "", enabled: Annotated[bool, Form()] = False,
              settings_version: Annotated[str, Form()] = "") -> Response:
    """Change a warning rule's threshold and on/off in ``churnguard.toml`` (admins only)."""
    return _save_settings(request, user, db, "rules", name, lambda folder: save_rule(
        db, folder, name, threshold=threshold, enabled=enabled,
        version=settings_version or None))


@router.post("/admin/playbooks/{name}")
def edit_playbook(request: Request, name: str, user: Admin, db: DbSession,
                  form: Annotated[PlaybookForm, Form()]) -> Response:
    """Change a playbook's conditions, task and titles in ``churnguard.toml`` (admins only)."""
    ws = request.app.state.workspace if hasattr(request.app.state, "workspace") else None
    in_force = playbook_rows(ws.settings.section("playbooks") if ws is not None else {})
    return _save_settings(request, user, db, "playbooks", name, lambda folder: save_playbook(
        db, folder, name, form, in_force=in_force))


def _save_settings(request: Request, user: User, db: Any, section: str, name: str,
                   save: Any) -> Response:
    """Run ``save`` on the workspace folder; the page again with what happened. A refused
    change writes nothing and answers 422 (409 when the file changed meanwhile)."""
    lang = language(request)
    ws = request.app.state.workspace if hasattr(request.app.state, "workspace") else None
    try:
        if ws is None:
            raise ConfigError("this app runs without a workspace, so it has no "
                              "churnguard.toml to change; start it with `churnguard serve "
                              "--workspace FOLDER`.")
        change = save(Path(ws.folder))
    except ChurnguardError as exc:
        db.rollback()
        status = 409 if exc.code == "conflict" else 422
        return _page(request, user, db, flash=translate("admin.settings_refused", lang)
                     + "\n" + str(exc), flash_kind="error", status_code=status,
                     anchor=f"{section}-{name}")
    ws.settings = change.settings  # in force at once in this process; others reload on
    return _page(request, user, db, anchor=f"{section}-{name}",  # their next request
                 flash=translate("admin.settings_saved", lang, entry=f"[{section}.{name}]"))
