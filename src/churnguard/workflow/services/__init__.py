"""Workflow services, one module per flow. Functions take the SQLAlchemy session as ``session=``
(or first) and flush; the caller (CLI command, web request) commits."""
