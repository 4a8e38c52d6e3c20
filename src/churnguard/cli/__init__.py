"""The ``churnguard`` command line (Typer + Rich).

Each module listed in ``COMMAND_MODULES`` defines ``register(app)`` that adds its commands.
User mistakes (:class:`~churnguard.errors.ChurnguardError`) print one red line and exit 1.
"""

from __future__ import annotations

import importlib
import sys

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
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Entry point of the ``churnguard`` script.

    Typer reports usage mistakes itself (standalone mode); a
    :class:`~churnguard.errors.ChurnguardError` from a command becomes one red line and exit 1.
    """
    try:
        app()
    except ChurnguardError as exc:
        err_console.print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
        sys.exit(1)
