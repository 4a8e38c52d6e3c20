"""Canonical schema (:mod:`.schema`), readers (:mod:`.readers`), validation and atomic loads
(:mod:`.load`)."""
