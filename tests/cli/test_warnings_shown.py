"""The CLI shows the library's own warnings as one readable line each."""

from __future__ import annotations

import warnings
from pathlib import Path

import churnguard.cli as cli
from churnguard.value import FitWarning


def test_library_warning_is_one_line_once(capsys, monkeypatch):
    monkeypatch.setattr(cli, "_shown_warnings", set())
    source = str(Path(cli.__file__).resolve().parent.parent / "value" / "spend.py")
    for _ in range(2):
        cli._show_warning(FitWarning("GammaGamma: q = 1.01 is close to 1"), FitWarning,
                          source, 266)
    err = capsys.readouterr().err
    assert err.count("warning: GammaGamma: q = 1.01 is close to 1") == 1
    assert "spend.py" not in err and "FitWarning" not in err


def test_other_packages_warnings_keep_their_location(capsys):
    cli._show_warning(UserWarning("from elsewhere"), UserWarning, "/elsewhere/mod.py", 7)
    err = capsys.readouterr().err
    assert "/elsewhere/mod.py:7" in err and "from elsewhere" in err


def test_main_installs_the_handler(monkeypatch):
    monkeypatch.setattr(cli, "app", lambda: None)
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    cli.main()
    assert warnings.showwarning is cli._show_warning
