"""The web app: FastAPI, server-rendered pages (Jinja2 + htmx + ECharts) and a JSON API."""
