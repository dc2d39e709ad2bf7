"""The ``branchflow`` command line."""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from .config import Config


def _services(cfg: Config | None = None):
    from .app import build_services

    return build_services(cfg or Config.from_env())


def _demo(svc) -> None:
    from .flows.demo import load_demo

    with svc.uow() as uow:
        created = load_demo(svc, uow)
    if created:
        click.echo("demo users (username / name / password) — write these down, they are shown once:")
        for username, display, password in created:
            click.echo(f"  {username:<12} {display:<12} {password}")
    else:
        click.echo("demo organisation already loaded")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("branchflow")
    except PackageNotFoundError:  # pragma: no cover - a checkout run without an install
        return "unknown (not installed)"


def _logging(cfg: Config) -> None:
    from .config import configure_logging

    configure_logging(cfg.log_level, cfg.log_format)


@click.group(help="branchflow: party-branch standardization workflows.")
@click.version_option(version=_version(), prog_name="branchflow", message="%(prog)s %(version)s")
def main() -> None:
    """Entry point of the console script."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int, help="0: any free port (printed)")
@click.option("--demo", "with_demo", is_flag=True, help="load the demo organisation first if it is missing")
@click.option("--no-scheduler", is_flag=True, help="do not run the timer ticker in this process")
@click.option("--open", "open_browser", is_flag=True, help="open the web app in this machine's browser")
@click.option("--dev", is_flag=True, help="Werkzeug's development server instead of waitress (never in production)")
@click.option("--threads", type=int, default=None, help="waitress worker threads (BRANCHFLOW_THREADS, default 8)")
def serve(host: str, port: int, with_demo: bool, no_scheduler: bool, open_browser: bool, dev: bool,
          threads: int | None) -> None:
    """Run the web app, the API and the timer ticker on waitress (SQLite file by default)."""
    import os
    import signal

    from .app import build_services, create_app

    cfg = Config.from_env()
    _logging(cfg)
    cfg.scheduler = not no_scheduler
    svc = build_services(cfg)
    if with_demo:
        _demo(svc)
    app = create_app(cfg, svc)
    if dev:
        from werkzeug.serving import make_server

        server = make_server(host, port, app, threaded=True)
        port, run, close = server.server_port, server.serve_forever, server.shutdown
    else:
        from waitress import create_server

        proxies = os.environ.get("BRANCHFLOW_FORWARDED_ALLOW_IPS", "127.0.0.1")
        server = create_server(app, host=host, port=port, ident="branchflow",
                               threads=threads or int(os.environ.get("BRANCHFLOW_THREADS", "8")),
                               trusted_proxy=proxies, trusted_proxy_count=1,
                               trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"},
                               clear_untrusted_proxy_headers=True)
        port, run, close = server.effective_port, server.run, server.close
    click.echo(f"branchflow {_version()} on http://{host}:{port}/  ({'Werkzeug development server' if dev else 'waitress'}; "
               f"API: /api, docs: /api/docs, database: {cfg.database_url})")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, (f"http://{host}:{port}/",)).start()

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        run()
    except KeyboardInterrupt:
        pass
    finally:
        if not dev:
            close()
        scheduler = app.extensions.get("branchflow_scheduler")
        if scheduler is not None:
            scheduler.shutdown(wait=True)


@main.command()
@click.option("--tick", "tick_seconds", type=float, default=None,
              help="longest sleep between looks, seconds (BRANCHFLOW_TICK_SECONDS); timers fire at their due instant")
@click.option("--metrics", "metrics_bind", default=None, metavar="HOST:PORT",
              help="serve this process's Prometheus metrics (BRANCHFLOW_SCHEDULER_METRICS, e.g. 127.0.0.1:9101)")
def scheduler(tick_seconds: float | None, metrics_bind: str | None) -> None:
    """Run only the timer ticker and the outbox drain (production: beside gunicorn; several may run)."""
    import os
    import signal
    import threading

    from .app import build_services
    from .scheduler import start_ticker

    cfg = Config.from_env()
    _logging(cfg)
    svc = build_services(cfg)
    idle = tick_seconds or cfg.tick_seconds
    metrics_bind = metrics_bind or os.environ.get("BRANCHFLOW_SCHEDULER_METRICS")
    if metrics_bind:
        from prometheus_client import start_http_server

        mhost, _, mport = metrics_bind.rpartition(":")
        start_http_server(int(mport), addr=mhost or "127.0.0.1", registry=svc.metrics.registry)
    ticker = start_ticker(svc, idle)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"branchflow scheduler: timers fire at their due instant, longest sleep {idle:g} s ({cfg.database_url})")
    stop.wait()
    ticker.shutdown(wait=True)


@main.command()
def demo() -> None:
    """Load the demo organisation and users; prints the passwords."""
    _demo(_services())


@main.group()
def users() -> None:
    """Manage accounts."""


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="role code; repeat for several")
@click.option("--branch", default=None, help="branch code that scopes the roles and that the person belongs to (omit for company-wide)")
@click.option("--display-name", default=None)
@click.option("--email", default=None, help="address for reminders and escalations")
@click.option("--password-stdin", is_flag=True, required=True, help="read the password from standard input")
def users_add(name, roles, branch, display_name, email, password_stdin) -> None:
    """Create user NAME with roles, scoped to --branch when given."""
    from .domain.errors import BranchflowError
    from .domain.roles import Grant
    from .flows import auth

    password = sys.stdin.readline().rstrip("\n")
    svc = _services()
    try:
        with svc.uow() as uow:
            user = auth.add_user(svc, uow, name, password, display_name, [Grant(r, branch) for r in roles], email=email)
            user.branch = branch  # a branch-scoped account belongs to that branch
            uow.commit()
    except BranchflowError as exc:
        raise click.ClickException(f"{exc.errors[0]['field'] + ': ' if exc.errors else ''}{exc.message}")
    click.echo(f"created {name}")


@users.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Disable NAME's account: no login, no token; their open tasks show up as stranded."""
    _set_active(name, False)


@users.command("enable")
@click.argument("name")
def users_enable(name: str) -> None:
    """Enable NAME's account again."""
    _set_active(name, True)


@users.command("list")
def users_list() -> None:
    """Every account: username, name, roles, active, login lock (JSON lines)."""
    from .flows import auth
    from .flows.actors import Actor

    svc = _services()
    with svc.uow() as uow:
        for user in auth.list_users(svc, uow, Actor.system()):
            click.echo(json.dumps(user, ensure_ascii=False, default=str))


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, required=True, help="read the new password from standard input")
def users_password(name: str, password_stdin: bool) -> None:
    """Set NAME's password (their tokens are revoked and any login lock lifted)."""
    from .domain.errors import BranchflowError
    from .flows import auth
    from .flows.actors import Actor

    password = sys.stdin.readline().rstrip("\n")
    svc = _services()
    try:
        with svc.uow() as uow:
            auth.reset_password(svc, uow, Actor.system(), name, password)
    except BranchflowError as exc:
        raise click.ClickException(f"{exc.errors[0]['field'] + ': ' if exc.errors else ''}{exc.message}")
    click.echo(f"password of {name} set")


@users.command("unlock")
@click.argument("name")
def users_unlock(name: str) -> None:
    """Lift NAME's login locks (from every address)."""
    from .flows import auth
    from .flows.actors import Actor

    svc = _services()
    with svc.uow() as uow:
        auth.unlock(svc, uow, Actor.system(), name)
    click.echo(f"unlocked {name}")


def _set_active(name: str, active: bool) -> None:
    from .domain.errors import BranchflowError
    from .flows import auth

    svc = _services()
    try:
        with svc.uow() as uow:
            auth.set_active(svc, uow, name, active)
    except BranchflowError as exc:
        raise click.ClickException(exc.message)
    click.echo(f"{'enabled' if active else 'disabled'} {name}")


@main.group()
def tasks() -> None:
    """Tasks nobody can act on, and personal assignment."""


@tasks.command("stranded")
def tasks_stranded() -> None:
    """List open tasks no active person can act on, with why (JSON lines)."""
    from .flows import tasks as flows_tasks
    from .flows.actors import Actor

    svc = _services()
    with svc.uow() as uow:
        items = flows_tasks.stranded(svc, uow, Actor.system())
        for item in items:
            t = item["task"]
            click.echo(json.dumps({"task": t.id, "instance": t.instance_id, "instance_title": item["instance_title"],
                                   "name": t.name, "role": t.role, "branch": t.branch, "assignee": t.assignee,
                                   "due_at": t.due_at.isoformat() if t.due_at else None,
                                   "reason": item["reason"]}, ensure_ascii=False))
    click.echo(f"{len(items)} stranded task(s)", err=True)


@tasks.command("assign")
@click.argument("task_id")
@click.argument("assignee")
@click.option("--reason", required=True, help="why (recorded in the instance's history)")
@click.option("--by", "by", default="admin", show_default=True, help="the admin or supervisor account assigning")
def tasks_assign(task_id: str, assignee: str, reason: str, by: str) -> None:
    """Make TASK_ID personal to ASSIGNEE; only they act on it from now on."""
    from .flows import tasks as flows_tasks

    svc = _services()
    _as_user(svc, by, lambda uow, actor: flows_tasks.assign(svc, uow, actor, task_id, assignee, reason))
    click.echo(f"assigned {task_id} to {assignee}")


def _as_user(svc, by: str, action) -> None:
    """Run ``action(uow, actor)`` as active account ``by``; a refusal is the command's error message."""
    from .domain.errors import BranchflowError
    from .flows.actors import Actor

    try:
        with svc.uow() as uow:
            user = uow.identity.active_user(by)
            if user is None:
                raise click.ClickException(f"no active user {by}")
            action(uow, Actor(by, uow.identity.grants_of(user)))
    except BranchflowError as exc:
        raise click.ClickException(f"{exc.errors[0]['field'] + ': ' if exc.errors else ''}{exc.message}")


@main.command()
@click.option("--year", required=True, type=click.IntRange(2000, 2100), help="the calendar year under review")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, writable=True),
              help="also write the roll-up as an Excel workbook to this file")
def reviews(year: int, xlsx_path: str | None) -> None:
    """The annual review roll-up of YEAR (JSON on standard output): per secretary, helper and branch, each
    figure with the instances it came from."""
    from .documents.reviews_xlsx import reviews_xlsx
    from .flows import reviews as flows_reviews
    from .flows.actors import Actor

    svc = _services()
    with svc.uow() as uow:
        data = flows_reviews.annual_review(svc, uow, Actor.system(), year)
    if xlsx_path:
        Path(xlsx_path).write_bytes(reviews_xlsx(data))
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@main.group()
def instances() -> None:
    """Running instances: end one started by mistake."""


@instances.command("terminate")
@click.argument("instance_id")
@click.option("--reason", required=True, help="why (recorded in the instance's history)")
@click.option("--by", "by", default="admin", show_default=True, help="the admin or supervisor account ending it")
def instances_terminate(instance_id: str, reason: str, by: str) -> None:
    """End INSTANCE_ID (终止): its open tasks close, its timers end, the children it waits on end with it."""
    from .flows import operations

    svc = _services()
    _as_user(svc, by, lambda uow, actor: operations.terminate(svc, uow, actor, instance_id, reason))
    click.echo(f"terminated {instance_id}")


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the migrations up to REVISION (run once per deploy, before the workers start)."""
    from .store import migrate
    from .store.db import make_engine

    engine = make_engine(Config.from_env().database_url)
    try:
        reached = migrate.upgrade(engine, revision)
    except migrate.SchemaError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"database at {reached}")


@db.command("current")
def db_current() -> None:
    """Print the database's revision and the code's head; exit 1 when they differ."""
    from .store import migrate
    from .store.db import make_engine

    at, want = migrate.current(make_engine(Config.from_env().database_url)), migrate.head()
    click.echo(f"database {at or 'empty'}; code {want}")
    sys.exit(0 if at == want else 1)


@main.group()
def timers() -> None:
    """Timer operations."""


@timers.command("fire")
@click.option("--now", "now_iso", required=True, help="ISO instant with offset, e.g. 2026-10-12T09:00:00+08:00")
@click.option("--dry-run", is_flag=True, help="only list what would fire (and who would be told); change nothing")
def timers_fire(now_iso: str, dry_run: bool) -> None:
    """Fire every timer due at --now and print what fired (JSON lines); --dry-run changes nothing."""
    from .flows.ops import due_timers
    from .flows.timers import fire_due

    now = _aware(now_iso)
    svc = _services()
    if dry_run:
        rows = due_timers(svc, now)
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        click.echo(f"dry run: {sum(r['would'] == 'fire' for r in rows)} timer(s) would fire at {now.isoformat()}, "
                   f"{sum(r['would'] == 'cancel' for r in rows)} would be cancelled; nothing was changed", err=True)
        return
    if now > svc.clock.now():
        click.echo(f"note: {now.isoformat()} is later than the service clock ({svc.clock.now().isoformat()}): "
                   "timers due before it fire now, and their reminders go out", err=True)
    result = fire_due(svc, now)
    for row in result.fired:
        click.echo(json.dumps(row, ensure_ascii=False))
    for row in result.failed:
        click.echo(json.dumps({"failed": row}, ensure_ascii=False), err=True)
    click.echo(f"fired {len(result.fired)}, failed {len(result.failed)}, left for the next sweep "
               f"{len(result.retry)}", err=True)
    sys.exit(1 if result.failed else 0)


@timers.command("failed")
def timers_failed() -> None:
    """List timers a sweep parked as failed, with their error (JSON lines)."""
    from .flows.actors import Actor
    from .flows.timers import failed_timers

    svc = _services()
    with svc.uow() as uow:
        rows = failed_timers(svc, uow, Actor.system(), limit=100_000)
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False, default=str))
    click.echo(f"{len(rows)} failed timer(s)", err=True)


@timers.command("requeue")
@click.argument("ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="re-queue every failed timer")
def timers_requeue(ids: tuple[str, ...], every: bool) -> None:
    """Put failed timers back to pending; the next sweep fires them."""
    from .domain.errors import BranchflowError
    from .flows.actors import Actor
    from .flows.timers import requeue

    if bool(ids) == every:
        raise click.UsageError("name timer ids or give --all")
    svc = _services()
    with svc.uow() as uow:
        try:
            done = requeue(svc, uow, Actor.system(), None if every else list(ids))
        except BranchflowError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"re-queued {len(done)} timer(s)")


@main.group()
def calendar() -> None:
    """Working-day calendar."""


@calendar.command("deadline")
@click.option("--start", "start_iso", required=True)
@click.option("--rule", required=True, help="24h, 3wd, 5wd, 7wd, …")
def calendar_deadline(start_iso: str, rule: str) -> None:
    """Print the due instant of RULE triggered at START."""
    from .domain.calendar import CST
    from .domain.errors import BranchflowError
    from .flows import calendar_admin

    try:
        d = calendar_admin.deadline(_services(), _aware(start_iso), rule)
    except BranchflowError as exc:
        raise click.ClickException(exc.message)
    click.echo(json.dumps({"due": d.due.astimezone(CST).isoformat(), "provisional": d.provisional}))


@calendar.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def calendar_load(path: str) -> None:
    """Load an official year schedule (JSON, see calendar/README.md) and re-arm provisional timers."""
    from .domain.errors import BranchflowError
    from .flows import calendar_admin
    from .flows.actors import Actor

    svc = _services()
    try:
        with svc.uow() as uow:
            result = calendar_admin.load_year(svc, uow, Actor("admin-cli", (), True, "admin"),
                                              json.loads(open(path, encoding="utf-8").read()))
    except (BranchflowError, json.JSONDecodeError) as exc:
        raise click.ClickException(str(exc))
    click.echo(json.dumps(result, ensure_ascii=False))


@main.group()
def notify() -> None:
    """Outbox operations (reminders and escalations)."""


@notify.command("drain")
@click.option("--limit", default=100, show_default=True, type=int)
def notify_drain(limit: int) -> None:
    """Deliver queued messages on the configured channels now; non-zero exit when some failed for good."""
    from .flows.notify import drain

    svc = _services()
    if not svc.channels:
        raise click.ClickException("no channel configured: set BRANCHFLOW_SMTP_HOST and/or BRANCHFLOW_WEBHOOK_URL")
    result = drain(svc, limit=limit)
    click.echo(json.dumps({"sent": len(result.sent), "retry": len(result.retry), "failed": len(result.failed)}))
    sys.exit(1 if result.failed else 0)


@notify.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "failed"]), default=None,
              help="only messages of this status")
@click.option("--limit", default=100, show_default=True, type=int)
def notify_list(status: str | None, limit: int) -> None:
    """List outbox messages, newest first, with their error (JSON lines)."""
    from .flows import ops
    from .flows.actors import Actor

    svc = _services()
    with svc.uow() as uow:
        page = ops.messages(svc, uow, Actor.system(), status, limit)
    for item in page["items"]:
        click.echo(json.dumps(item, ensure_ascii=False, default=str))
    click.echo(f"{len(page['items'])} of {page['total']} message(s)", err=True)


@notify.command("requeue")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="re-queue every failed message")
def notify_requeue(ids: tuple[int, ...], every: bool) -> None:
    """Send failed messages again: due now, attempts counted afresh."""
    from .domain.errors import BranchflowError
    from .flows import ops
    from .flows.actors import Actor

    if bool(ids) == every:
        raise click.UsageError("name message ids or give --all")
    svc = _services()
    with svc.uow() as uow:
        try:
            done = ops.requeue_messages(svc, uow, Actor.system(), None if every else list(ids))
        except BranchflowError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"re-queued {len(done)} message(s)")


@main.group()
def ops() -> None:
    """Operations: backlogs, readiness, backups."""


@ops.command("status")
def ops_status() -> None:
    """Print the backlogs (open and overdue tasks, timers, outbox, scheduler lag and heartbeat) as JSON."""
    from .flows import ops as flows_ops

    click.echo(json.dumps(flows_ops.backlog(_services()), ensure_ascii=False, default=str, indent=1))


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
def backup(path: str) -> None:
    """Write a consistent snapshot of the database and the evidence files to PATH (.tar.gz)."""
    from pathlib import Path

    from .flows import backup as flows_backup
    from .store.snapshot import SnapshotError

    try:
        manifest = flows_backup.backup(_services(), Path(path), _version())
    except (SnapshotError, flows_backup.BackupError, OSError) as exc:
        raise click.ClickException(str(exc))
    click.echo(f"backup {path}: {manifest['database']['format']} database at schema {manifest['database']['schema']}, "
               f"{manifest['instances']} instance(s), {len(manifest['attachments'])} evidence file(s)")
    if manifest["missing"]:
        click.echo(f"warning: {len(manifest['missing'])} evidence file(s) the database names are missing or damaged "
                   f"on disk and are not in the backup: {', '.join(manifest['missing'][:5])}", err=True)
        sys.exit(2)


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="replace a database and attachment folder that are not empty")
def restore(path: str, force: bool) -> None:
    """Restore a backup into BRANCHFLOW_DATABASE_URL and BRANCHFLOW_ATTACHMENTS_DIR (empty unless --force)."""
    from pathlib import Path

    from .flows import backup as flows_backup
    from .store.db import make_engine

    cfg = Config.from_env()
    try:
        manifest = flows_backup.restore(make_engine(cfg.database_url), cfg.settings.attachments_dir, Path(path), force)
    except (flows_backup.BackupError, OSError) as exc:
        raise click.ClickException(str(exc))
    click.echo(f"restored {path} (taken {manifest['created_at']}): {manifest['instances']} instance(s), "
               f"{len(manifest['attachments'])} evidence file(s) into {cfg.database_url} and {cfg.settings.attachments_dir}")
    if manifest["database"]["schema"] != manifest["schema_now"]:
        click.echo(f"the backup's schema is {manifest['database']['schema']}, this code's {manifest['schema_now']}: "
                   "run `branchflow db upgrade` (SQLite upgrades itself at start)", err=True)
    click.echo("check it: branchflow audit verify", err=True)


@main.group()
def board() -> None:
    """The supervisor's overview (督导看板)."""


@board.command("check")
@click.option("--repair", is_flag=True, help="rebuild the counts from the inbox rows when they differ")
def board_check(repair: bool) -> None:
    """Check the overview's duty counts (kept per branch, month, element and role) against a recount of the
    inbox rows: one JSON line per difference; non-zero exit on any (after --repair: rebuilt, exit 0)."""
    from .flows import board as flows_board

    svc = _services()
    with svc.uow() as uow:
        drift = flows_board.check_counts(uow, repair)
    for entry in drift:
        click.echo(json.dumps(entry, ensure_ascii=False))
    if drift and not repair:
        click.echo(f"{len(drift)} count(s) differ from the inbox rows: run `branchflow board check --repair`", err=True)
        sys.exit(1)
    click.echo("repaired: the counts were rebuilt from the inbox rows" if drift else "the counts match the inbox rows",
               err=True)


@main.group()
def audit() -> None:
    """Audit: verify hash chains and replays, export an instance's record."""


@audit.command("verify")
@click.argument("instance", required=False)
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), help="an export file, checked offline")
@click.option("--checkpoints", "witness_path", type=click.Path(exists=True, dir_okay=False),
              help="the witness log of signed checkpoints the auditor keeps (JSON lines)")
@click.option("--public-key", "public_key", help="the checkpoint signing key's public half (base64, or its .pub file)")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 64),
              help="verify in this many processes (every instance: replay is CPU-bound)")
@click.option("--progress/--no-progress", default=None, help="progress on standard error (default: when it is a terminal)")
def audit_verify(instance: str | None, path: str | None, witness_path: str | None, public_key: str | None,
                 jobs: int, progress: bool | None) -> None:
    """Replay and check INSTANCE, every instance, or an export file; non-zero exit on any mismatch.

    Every instance: one JSON line per instance as it is checked (standard output), a progress bar or
    progress lines and a summary (standard error). With --checkpoints and --public-key, also check the
    witness log's signatures and that every event it witnessed is still in the database (or the export)
    unchanged: a rewrite of history before the last checkpoint fails, naming the instance and the event."""
    import time
    from functools import partial

    from .domain.errors import BranchflowError
    from .flows import audit as flows_audit
    from .flows import checkpoints, verify_batch
    from .flows.actors import Actor

    if bool(witness_path) != bool(public_key) and not (path and public_key):
        raise click.UsageError("--checkpoints goes with --public-key")
    try:
        public = checkpoints.load_public(public_key) if public_key else None
        witness = [json.loads(line) for line in open(witness_path, encoding="utf-8") if line.strip()] \
            if witness_path else None
    except (BranchflowError, ValueError) as exc:
        raise click.ClickException(str(getattr(exc, "message", exc)))
    findings: list = []
    total = None
    if path:
        from .flows.context import Services

        svc = Services(settings=Config.from_env().settings, clock=None, uow=None)  # offline: no database
        try:
            data = json.loads(open(path, encoding="utf-8").read())
            record = flows_audit.record_from_export(data)
        except (BranchflowError, json.JSONDecodeError) as exc:
            raise click.ClickException(str(exc))
        reports = [flows_audit.verify_record(svc, record).to_dict()]
        if public is not None:
            findings = checkpoints.verify_inclusion(data, public, witness)
    else:
        cfg = Config.from_env()
        from .app import build_services

        svc = build_services(cfg)
        if instance:
            try:
                with svc.uow() as uow:
                    reports = [flows_audit.verify(svc, uow, Actor.system(), instance).to_dict()]
            except BranchflowError as exc:
                raise click.ClickException(exc.message)
        else:
            ids = verify_batch.instance_ids(svc)
            total = len(ids)
            reports = verify_batch.verify_stream(svc, partial(build_services, cfg), ids, jobs)
    show = sys.stderr.isatty() if progress is None else progress
    started, last_line = time.monotonic(), 0.0
    count, failed = 0, []
    for report in reports:  # printed as each is made
        click.echo(json.dumps(report, ensure_ascii=False))
        count += 1
        if not report["ok"]:
            failed.append(report.get("instance"))
        if total and show:
            now = time.monotonic()
            if now - last_line >= 0.5 or count == total:
                last_line, elapsed = now, now - started
                left = elapsed / count * (total - count)
                bar = "#" * int(30 * count / total)
                click.echo(f"\r[{bar:<30}] {count}/{total} ({len(failed)} failed) {elapsed:.0f} s, ~{left:.0f} s left",
                           err=True, nl=count == total)
        elif total and count % 1000 == 0:
            click.echo(f"verified {count}/{total} ({len(failed)} failed)", err=True)
    if witness is not None and not path:
        findings = checkpoints.verify_witnessed(svc, witness, public)
        if instance:
            findings = [f for f in findings if f.instance in (None, instance)]
    for finding in findings:
        click.echo(json.dumps({"checkpoint_mismatch": finding.__dict__}, ensure_ascii=False))
    elapsed = time.monotonic() - started
    click.echo(f"verified {count} instance(s), {len(failed)} failed in {elapsed:.1f} s"
               + (f" ({count / elapsed:.0f}/s, {jobs} process(es))" if total and elapsed > 0 else "")
               + (f"; checkpoints: {len(findings)} mismatch(es)" if public is not None else "")
               + (f"; failed: {', '.join(map(str, failed[:20]))}{' …' if len(failed) > 20 else ''}" if failed else ""),
               err=True)
    sys.exit(1 if failed or findings else 0)


@audit.command("keygen")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="where to write the private key (PEM, mode 0600); the public key goes to OUT.pub")
def audit_keygen(out: str) -> None:
    """Make the Ed25519 key that signs audit checkpoints; prints the public key to publish."""
    from pathlib import Path

    from .domain.errors import BranchflowError
    from .flows import checkpoints

    try:
        click.echo(checkpoints.generate_key(Path(out)))
    except BranchflowError as exc:
        raise click.ClickException(exc.message)


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign a checkpoint of every chain head now (if anything changed) and hand it to the witnesses."""
    from .domain.errors import BranchflowError
    from .flows import checkpoints

    try:
        line = checkpoints.make(_services())
    except BranchflowError as exc:
        raise click.ClickException(exc.message)
    if line is None:
        click.echo("nothing changed since the last checkpoint")
    else:
        click.echo(json.dumps({k: line[k] for k in checkpoints.SIGNED + ("signature",)}, ensure_ascii=False))


@audit.command("export")
@click.argument("instance")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="file to write (default: standard output)")
def audit_export(instance: str, output: str | None) -> None:
    """Write INSTANCE's audit record (events, BPMN and forms, calendar data, chain head) as one JSON file."""
    from .domain.errors import BranchflowError
    from .flows import audit as flows_audit
    from .flows.actors import Actor

    svc = _services()
    try:
        with svc.uow() as uow:
            record = flows_audit.export(uow, Actor.system(), instance)
    except BranchflowError as exc:
        raise click.ClickException(exc.message)
    text = json.dumps(record, ensure_ascii=False, indent=1)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text)


def _aware(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"not an ISO instant: {text}")
    if value.tzinfo is None:
        raise click.BadParameter("the instant needs a timezone offset, e.g. +08:00")
    return value


# -- the organisation: branches, party groups, people ------------------------------------------------------


def _run(action):
    """Run ``action(svc, uow, actor)`` as the system; a refusal is the command's error message naming the field."""
    from .domain.errors import BranchflowError
    from .flows.actors import Actor

    svc = _services()
    try:
        with svc.uow() as uow:
            return action(svc, uow, Actor.system())
    except BranchflowError as exc:
        raise click.ClickException(f"{exc.errors[0]['field'] + ': ' if exc.errors else ''}{exc.message}")


def _lines(rows) -> None:
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False, default=str))


def _install_org(main: click.Group) -> None:
    """Add the organisation commands to the CLI."""
    from .flows import org

    @main.group()
    def branches() -> None:
        """Branches (党支部): code and Chinese name."""

    @branches.command("list")
    def branches_list() -> None:
        """Every branch with its numbers of groups and people (JSON lines)."""
        _lines(_run(lambda svc, uow, actor: org.branches(uow)))

    @branches.command("add")
    @click.argument("code")
    @click.argument("name")
    def branches_add(code: str, name: str) -> None:
        """Add branch CODE called NAME (机关一支部)."""
        _run(lambda svc, uow, actor: org.add_branch(uow, actor, code, name))
        click.echo(f"added branch {code}")

    @branches.command("rename")
    @click.argument("code")
    @click.argument("name")
    def branches_rename(code: str, name: str) -> None:
        """Give branch CODE the name NAME."""
        _run(lambda svc, uow, actor: org.rename_branch(uow, actor, code, name))
        click.echo(f"renamed branch {code}")

    @main.group()
    def groups() -> None:
        """Party groups (党小组): name, branch, leader, members."""

    @groups.command("list")
    @click.option("--branch", default=None)
    def groups_list(branch: str | None) -> None:
        """Party groups (of one branch) with leader and members (JSON lines)."""
        _lines(_run(lambda svc, uow, actor: org.groups(uow, branch)))

    @groups.command("add")
    @click.argument("branch")
    @click.argument("name")
    @click.option("--leader", default=None, help="the leader's account (a member of the branch; joins the group)")
    def groups_add(branch: str, name: str, leader: str | None) -> None:
        """Set up party group NAME in BRANCH."""
        row = _run(lambda svc, uow, actor: org.add_group(uow, actor, branch, name, leader).id)
        click.echo(f"added group {row}")

    @groups.command("leader")
    @click.argument("group_id", type=int)
    @click.argument("leader")
    def groups_leader(group_id: int, leader: str) -> None:
        """Make LEADER the leader of group GROUP_ID (they join it)."""
        _run(lambda svc, uow, actor: org.update_group(svc, uow, actor, group_id, {"leader": leader}))
        click.echo(f"{leader} leads group {group_id}")

    @main.group()
    def people() -> None:
        """People: branch, party group, roles."""

    @people.command("list")
    @click.option("--branch", default=None)
    @click.option("--group", "group_id", type=int, default=None)
    def people_list(branch: str | None, group_id: int | None) -> None:
        """People of a branch or group with their roles (JSON lines)."""
        _lines(_run(lambda svc, uow, actor: org.people(uow, actor, branch, group_id)))

    @people.command("move")
    @click.argument("name")
    @click.option("--branch", default=None, help="the new branch (their branch roles move with them)")
    @click.option("--group", "group_id", type=int, default=None, help="the new party group")
    def people_move(name: str, branch: str | None, group_id: int | None) -> None:
        """Move NAME to another branch and/or party group; their open personal member duties go back to the
        branch committee."""
        changes = {k: v for k, v in (("branch", branch), ("group_id", group_id)) if v is not None}
        if not changes:
            raise click.UsageError("give --branch and/or --group")
        _run(lambda svc, uow, actor: org.update_person(svc, uow, actor, name, changes))
        click.echo(f"moved {name}")

    @people.command("roles")
    @click.argument("name")
    @click.option("--role", "roles", multiple=True, help="ROLE or ROLE@BRANCH; repeat; replaces their roles")
    def people_roles(name: str, roles: tuple[str, ...]) -> None:
        """Replace NAME's roles (``--role member@jg1 --role branch_committee@jg1``)."""
        grants = [{"role": r.split("@")[0], "branch": r.split("@")[1] if "@" in r else None} for r in roles]
        _run(lambda svc, uow, actor: org.update_person(svc, uow, actor, name, {"roles": grants}))
        click.echo(f"roles of {name} set")

    @main.group()
    def duty() -> None:
        """党员责任认领: open a period's work for every branch at once (safe to repeat)."""

    def _sweep(action) -> None:
        result = _run(action)
        click.echo(f"started {result['started']}, already open {result['skipped']}")

    @duty.command("open-due")
    @click.option("--now", "now", default=None, help="the instant to open for (ISO with timezone; default: the clock)")
    def duty_open_due(now: str | None) -> None:
        """Open what the calendar has current: the quarter's claiming, the week's and month's checks, the
        party groups' meetings, the month's scoring in its window (what the scheduler does every few minutes)."""
        from .flows import claiming
        at = _aware(now) if now else None
        result = _run(lambda svc, uow, actor: claiming.open_due(svc, at))
        for kind, outcome in result.items():
            click.echo(f"{kind}: " + (f"not opened: {outcome['error']}" if "error" in outcome else
                                      f"started {outcome['started']}, already open {outcome['skipped']}"))

    @duty.command("open-quarter")
    @click.argument("quarter")
    @click.option("--branch", "branches", multiple=True, help="only these branches (default: all)")
    def duty_open_quarter(quarter: str, branches: tuple[str, ...]) -> None:
        """Open QUARTER's (2026Q2) duty claiming for every branch."""
        from .flows import claiming
        _sweep(lambda svc, uow, actor: claiming.open_quarter(svc, uow, actor, quarter, list(branches) or None))

    @duty.command("open-checks")
    @click.argument("kind", type=click.Choice(["weekly", "monthly"]))
    @click.argument("day")
    def duty_open_checks(kind: str, day: str) -> None:
        """Open the checks of the week or month containing DAY (YYYY-MM-DD), one per committee member's area."""
        from .flows import claiming
        _sweep(lambda svc, uow, actor: claiming.open_checks(svc, uow, actor, kind, day))

    @duty.command("open-meetings")
    @click.argument("month")
    def duty_open_meetings(month: str) -> None:
        """Open every party group's 党小组会 of MONTH (2026-04)."""
        from .flows import claiming
        _sweep(lambda svc, uow, actor: claiming.open_meetings(svc, uow, actor, month))

    @duty.command("open-scores")
    @click.argument("month")
    def duty_open_scores(month: str) -> None:
        """Open every branch's monthly duty scoring of MONTH (2026-04)."""
        from .flows import claiming
        _sweep(lambda svc, uow, actor: claiming.open_scores(svc, uow, actor, month))


_install_org(main)

if __name__ == "__main__":  # pragma: no cover
    main()
