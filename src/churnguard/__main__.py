"""``python -m churnguard`` runs the CLI."""

from churnguard.cli import main

main()
