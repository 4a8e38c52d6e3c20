"""The pages on an app database alone (no warehouse): empty states, never errors."""

from __future__ import annotations

from churnguard.web.app import create_app
from churnguard.workflow.models import Customer
from churnguard.workflow.services import auth
from tests.web.pages_support import PASSWORD, client_for, post


def test_pages_render_without_a_workspace(tmp_path):
    app = create_app(database_url=f"sqlite:///{tmp_path / 'app.db'}")
    auth.use_fast_hashing()
    with app.state.sessionmaker() as db:
        manager = auth.create_user(db, "manager", PASSWORD, role="manager")
        db.add(Customer(id="x", name="X", owner_id=manager.id))
        db.commit()
    client = client_for(app, "manager")
    for path in ("/dashboard", "/my-customers", "/customers/x", "/complaints", "/campaigns",
                 "/archive", "/improvements", "/admin"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[-500:])
    assert "No data yet." in client.get("/dashboard").text
    upload = post(client, "/admin/import", {"table": "customers"},
                  files={"upload": ("c.csv", b"customer_id\ny\n", "text/csv")})
    assert "no workspace to import into" in upload.text
    app.state.engine.dispose()
