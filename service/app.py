"""``create_app(config)``: builds the store, engine, services and the Flask app; nothing at import time."""
from __future__ import annotations

from flask import Flask

from .config import Config
from .domain.clock import Clock
from .flows import calendar_admin, notices
from .flows.context import Services
from .notify import DingTalkChannel, EmailChannel, WebhookChannel, WeComChannel
from .scheduler.metrics import Metrics
from .store import migrate
from .store.db import make_engine, session_factory, writable_problem
from .store.observed import ObservedUnitOfWork, Wakeups


def ensure_schema(engine, config: Config) -> None:
    """Bring the schema to the code's migration head (``auto_migrate``: the SQLite default), or refuse to
    run on an older one (production databases are upgraded once, by ``branchflow db upgrade``, not by
    every worker at start)."""
    try:
        if config.auto_migrate:
            migrate.upgrade(engine)
            return
        at, want = migrate.current(engine), migrate.head()
    except migrate.SchemaError as exc:
        raise SystemExit(str(exc)) from None
    if at != want:
        raise SystemExit(f"database schema is at {at or 'nothing'}, this code needs {want}: run `branchflow db upgrade`")


def build_services(config: Config) -> Services:
    """Store, clock and engine wired together (used by the app, the CLI and benchmarks)."""
    engine = make_engine(config.database_url)
    ensure_schema(engine, config)
    problem = writable_problem(engine)
    if problem is not None:  # start refusing rather than answer every write (and every login) with an error
        raise SystemExit(f"cannot write to the database {engine.url.render_as_string()}: {problem}")
    factory = session_factory(engine)
    wakeups = Wakeups()

    def arrived(uow, rows):  # a new 待办's notice is queued in the transaction that made the task
        notices.tasks_arrived(svc, uow, rows)

    svc = Services(settings=config.settings, clock=Clock(config.now),
                   uow=lambda: ObservedUnitOfWork(factory, wakeups, arrived))
    svc.db_engine = engine
    svc.wakeups = wakeups  # commits that arm a timer or queue a message wake this process's scheduler
    svc.metrics = Metrics()  # this process's Prometheus series (/metrics, `branchflow scheduler --metrics`)
    svc.metrics.watch(svc)
    for name, channel in (("email", EmailChannel), ("webhook", WebhookChannel), ("wecom", WeComChannel),
                          ("dingtalk", DingTalkChannel)):
        arguments = config.smtp if name == "email" else getattr(config, name)
        if arguments:
            svc.channels[name] = channel(**arguments)
    calendar_admin.refresh(svc)
    return svc


def create_app(config: Config | None = None, services: Services | None = None) -> Flask:
    """The WSGI app serving ``/api``, the pages, ``/healthz``, ``/readyz`` and ``/metrics``;
    ``config.scheduler`` also starts the timer ticker."""
    from .api import observability, register
    from .web import register as register_pages

    config = config or Config.from_env()
    svc = services or build_services(config)
    app = Flask("branchflow", static_folder=None)  # the API serves no files of its own
    app.config["SECRET_KEY"] = config.secret_key
    app.config["MAX_CONTENT_LENGTH"] = 1 * 1024 * 1024
    app.extensions["branchflow"] = svc
    observability.install(app, svc.metrics, config.readiness_max_age, enabled=config.observability)
    register(app)
    register_pages(app)  # the pages' cookie sessions; /api never opens one
    if config.scheduler:
        from .scheduler import start_ticker

        app.extensions["branchflow_scheduler"] = start_ticker(svc, config.tick_seconds)
    return app
