"""DESIGN.md's layer rules, checked on the source: imports point down only."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICE = Path(__file__).resolve().parents[1] / "service"
ORDER = ["domain", "store", "engine", "notify", "documents", "flows", "scheduler", "api", "web"]
ONLY = {"flask": {"api", "web"}, "flask_wtf": {"web"}, "markupsafe": {"web"}, "flask_smorest": {"api"}, "SpiffWorkflow": {"engine"}, "apscheduler": {"scheduler"},
        "sqlalchemy": {"store"}, "smtplib": {"notify"}, "urllib": {"notify"},
        "reportlab": {"documents"}, "openpyxl": {"documents"}, "jinja2": {"documents", "web"}, "alembic": {"store"},
        # metrics are measured where requests and timers run; logging is configured by each process's entry
        # point (service/config.py), the WSGI servers are chosen by the CLI: no layer imports them
        "prometheus_client": {"scheduler", "api"}, "pythonjsonlogger": set(), "waitress": set(), "gunicorn": set()}
TOP_LEVEL_ALLOWED = {"app.py", "cli.py", "config.py", "wsgi.py", "gunicorn_worker.py", "__init__.py"}


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            prefix = "." * node.level
            names.append(prefix + (node.module or ""))
    return names


def layer_files():
    for layer in ORDER:
        for path in (SERVICE / layer).rglob("*.py"):
            yield layer, path


@pytest.mark.parametrize("layer,path", list(layer_files()), ids=lambda x: str(x).split("service/")[-1])
def test_layer_imports_point_down(layer, path):
    for name in imports(path):
        root = name.lstrip(".").split(".")[0]
        if root in ONLY:
            assert layer in ONLY[root], f"{path.name} imports {root}, reserved to {ONLY[root]}"
        if name.startswith(".."):
            target = name.lstrip(".").split(".")[0]
            if target in ORDER:
                if layer == "engine" and target == "store" or layer == "store" and target == "engine":
                    pytest.fail(f"{path.name}: engine and store must not know each other")
                assert ORDER.index(target) <= ORDER.index(layer), f"{path.name} imports upward: {name}"


def test_only_top_level_modules_outside_layers():
    stray = [p.name for p in SERVICE.glob("*.py") if p.name not in TOP_LEVEL_ALLOWED]
    assert stray == []
