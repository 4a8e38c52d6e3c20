"""``python -m churnguard`` runs the CLI."""

from churnguard.cli import main

if __name__ == "__main__":
    main()
