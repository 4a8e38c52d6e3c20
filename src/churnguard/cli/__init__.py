"""The ``churnguard`` command line (Typer + Rich).

Each module listed in ``COMMAND_MODULES`` defines ``register(app)`` that adds its commands.
User mistakes (:class:`~churnguard.errors.ChurnguardError`) print one red line and exit 1.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from churnguard.errors import ChurnguardError

app = typer.Typer(
    name="churnguard",
    help="Customer retention analytics and workflow.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)

COMMAND_MODULES: list[str] = [
    "churnguard.cli.workspace_cmds",
    "churnguard.cli.risk_cmds",
    "churnguard.cli.metrics_cmds",
    "churnguard.cli.retention_cmds",
    "churnguard.cli.demo_cmd",
    "churnguard.cli.bench_cmd",
    "churnguard.cli.report_cmds",
    "churnguard.cli.reasons_cmds",
    "churnguard.cli.value_cmds",
    "churnguard.cli.workflow_cmds",
    "churnguard.cli.notify_cmds",
    "churnguard.cli.refresh_cmd",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)
_shown_warnings: set[str] = set()


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    """Print a churnguard warning as one ``warning:`` line (once per text); others as Python
    would (with their source location, which helps whoever reports them)."""
    text = str(message)
    if not filename.startswith(_PACKAGE_DIR):
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))
    elif text not in _shown_warnings:
        _shown_warnings.add(text)
        err_console.print(Text.assemble(("warning: ", "bold yellow"), text), soft_wrap=True)


def main() -> None:
    """Entry point of the ``churnguard`` script.

    Typer reports usage mistakes itself (standalone mode); a
    :class:`~churnguard.errors.ChurnguardError` from a command becomes one red line and exit 1.
    The library's own warnings (a :class:`~churnguard.value.FitWarning`, say) become one
    yellow line each, once per message.
    """
    warnings.showwarning = _show_warning
    try:
        app()
    except ChurnguardError as exc:
        err_console.print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
        sys.exit(1)

