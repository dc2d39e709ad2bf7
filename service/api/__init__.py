"""HTTP layer: flask-smorest blueprints under /api, marshmallow schemas, auth and error mapping."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, send_from_directory

from . import context, errors
from .openapi import BranchflowApi, PermissionsPlugin
from .routes_attachments import blp as attachments_blp
from .routes_audit import blp as audit_blp
from .routes_board import blp as board_blp
from .routes_auth import blp as auth_blp
from .routes_calendar import blp as calendar_blp
from .routes_checkpoints import blp as checkpoints_blp
from .routes_inspections import blp as inspections_blp
from .routes_instances import blp as instances_blp
from .routes_processes import blp as processes_blp
from .routes_ops import blp as ops_blp
from .routes_org import blp as org_blp
from .routes_duty import blp as duty_blp
from .routes_ratings import blp as ratings_blp
from .routes_reviews import blp as reviews_blp
from .routes_tasks import blp as tasks_blp
from .routes_tickets import blp as tickets_blp
from .routes_timers import blp as timers_blp
from .routes_users import blp as users_blp
from .routes_operations import blp as operations_blp


def register(app: Flask) -> None:
    """Attach the API, its OpenAPI document (/api/openapi.json) and interactive docs (/api/docs)."""
    app.config.update(
        API_TITLE="branchflow",
        API_VERSION="1.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # both viewers load their scripts from this app (the intranet has no internet): Swagger UI from the
        # swagger-ui-bundle package, ReDoc from the bundle vendored in static/redoc (tools/refresh_assets.sh)
        OPENAPI_SWAGGER_UI_URL="/assets/swagger-ui/",
        OPENAPI_REDOC_PATH="/redoc",
        OPENAPI_REDOC_URL="/assets/redoc/redoc.standalone.js",
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
            "info": {"description": "Party-branch standardization workflows: inboxes, tasks, instances, audit, calendar, "
                              "peer inspection, rectification tickets, plaque ratings, the annual review roll-up."},
        },
    )
    api = BranchflowApi(app, spec_kwargs={"extra_plugins": [PermissionsPlugin()]})
    for blp in (auth_blp, tasks_blp, instances_blp, processes_blp, audit_blp, calendar_blp, inspections_blp, tickets_blp,
                ratings_blp, reviews_blp, attachments_blp, timers_blp, checkpoints_blp, users_blp, ops_blp, operations_blp,
                board_blp, org_blp, duty_blp):
        api.register_blueprint(blp)
    _serve_viewer_assets(app)
    context.install(app)
    errors.install(app)


def _serve_viewer_assets(app: Flask) -> None:
    """``/assets/swagger-ui/<file>`` and ``/assets/redoc/<file>``: the API viewers' scripts, served offline."""
    import swagger_ui_bundle

    folders = {"swagger-ui": Path(swagger_ui_bundle.swagger_ui_path), "redoc": Path(__file__).parent / "static" / "redoc"}

    def asset(viewer: str, name: str):
        return send_from_directory(folders[viewer], name, max_age=86400)

    app.add_url_rule("/assets/<any('swagger-ui', redoc):viewer>/<path:name>", "viewer_asset", asset)
