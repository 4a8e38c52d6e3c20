"""Editing churnguard.toml in place: comments and other sections kept, checked before it is
written, written whole or not at all, and refused when the file changed meanwhile."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from churnguard.config_edit import (
    SettingsConflictError,
    edit_settings,
    reload_if_changed,
    settings_version,
)
from churnguard.errors import ConfigError

TEXT = """\
# our shop's settings
[churn]
inactivity_days = 120   # we sell monthly

[rules.order_drop]
threshold = 0.5  # half the orders gone
severity = 3

[goals]
retention_rate = 0.9
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "churnguard.toml").write_text(TEXT, encoding="utf-8")
    (tmp_path / "churnguard.toml").chmod(0o640)
    return tmp_path


def test_a_change_keeps_comments_order_and_other_sections(folder):
    change = edit_settings(folder, "rules", "order_drop", {"threshold": 0.6})
    text = (folder / "churnguard.toml").read_text(encoding="utf-8")
    assert text == TEXT.replace("threshold = 0.5", "threshold = 0.6")
    assert change.before == {"threshold": 0.5, "severity": 3}
    assert change.after == {"threshold": 0.6, "severity": 3}
    assert change.settings.section("rules") == {"order_drop": {"threshold": 0.6, "severity": 3}}
    assert change.version == settings_version(folder)
    assert (folder / "churnguard.toml").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in folder.iterdir()) == [".churnguard.toml.lock",
                                                        "churnguard.toml"]


def test_none_removes_a_key_and_a_new_entry_is_added_at_the_end(folder):
    edit_settings(folder, "rules", "order_drop", {"severity": None})
    edit_settings(folder, "rules", "owner_left", {"enabled": False})
    data = tomllib.loads((folder / "churnguard.toml").read_text(encoding="utf-8"))
    assert data["rules"] == {"order_drop": {"threshold": 0.5}, "owner_left": {"enabled": False}}
    assert data["churn"] == {"inactivity_days": 120} and data["goals"] == {"retention_rate": 0.9}


def test_refused_changes_write_nothing(folder):
    before = (folder / "churnguard.toml").read_bytes()

    def refuse(section: dict) -> None:
        raise ConfigError(f"no: {section['order_drop']['threshold']}")

    with pytest.raises(ConfigError, match="no: 7"):
        edit_settings(folder, "rules", "order_drop", {"threshold": 7}, validate=refuse)
    with pytest.raises(ConfigError, match="would make the settings unreadable"):
        edit_settings(folder, "mappings", "orders", {"amount": 5})  # column names are texts
    with pytest.raises(ConfigError, match=r"\[churn\] inactivity_days is a value"):
        edit_settings(folder, "churn", "inactivity_days", {"x": 1})
    dry = edit_settings(folder, "rules", "order_drop", {"threshold": 0.7}, dry_run=True)
    assert dry.after["threshold"] == 0.7
    assert (folder / "churnguard.toml").read_bytes() == before


def test_an_edit_made_from_an_old_version_is_refused(folder):
    seen = settings_version(folder)
    edit_settings(folder, "rules", "order_drop", {"threshold": 0.6}, expected_version=seen)
    with pytest.raises(SettingsConflictError, match="changed by someone else"):
        edit_settings(folder, "rules", "order_drop", {"threshold": 0.4}, expected_version=seen)
    assert "threshold = 0.6" in (folder / "churnguard.toml").read_text(encoding="utf-8")


def test_defaults_are_written_out_when_the_section_is_missing(folder):
    defaults = {"a": {"task": "call", "due_days": 2}, "b": {"task": "visit"}}
    edit_settings(folder, "playbooks", "b", {"due_days": 9}, defaults=defaults)
    data = tomllib.loads((folder / "churnguard.toml").read_text(encoding="utf-8"))
    assert data["playbooks"] == {"a": {"task": "call", "due_days": 2},
                                 "b": {"task": "visit", "due_days": 9}}


def test_broken_toml_is_reported_not_overwritten(folder):
    (folder / "churnguard.toml").write_text("[rules\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        edit_settings(folder, "rules", "order_drop", {"threshold": 0.6})
    assert (folder / "churnguard.toml").read_text(encoding="utf-8") == "[rules\n"


def test_reload_reads_the_file_again_only_when_it_changed(workspace):
    assert reload_if_changed(workspace) is False  # first look: remembered
    assert reload_if_changed(workspace) is False
    edit_settings(workspace.folder, "rules", "order_drop", {"threshold": 0.75})
    assert reload_if_changed(workspace) is True
    assert workspace.settings.section("rules") == {"order_drop": {"threshold": 0.75}}
    (workspace.folder / "churnguard.toml").write_text("[rules\n", encoding="utf-8")
    assert reload_if_changed(workspace) is False  # broken by hand: the settings in force stay
    assert workspace.settings.section("rules") == {"order_drop": {"threshold": 0.75}}
