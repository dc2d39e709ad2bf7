"""The ``branchflow`` command line."""
from __future__ import annotations

import json
import sys
from datetime import datetime

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


@click.group(help="branchflow: party-branch standardization workflows.")
def main() -> None:
    """Entry point of the console script."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", "with_demo", is_flag=True, help="load the demo organisation first if it is missing")
@click.option("--no-scheduler", is_flag=True, help="do not run the timer ticker in this process")
@click.option("--open", "open_browser", is_flag=True, help="open the web app in this machine's browser")
def serve(host: str, port: int, with_demo: bool, no_scheduler: bool, open_browser: bool) -> None:
    """Run the web app, the API and the timer ticker (SQLite file by default)."""
    from werkzeug.serving import run_simple

    from .app import build_services, create_app

    cfg = Config.from_env()
    cfg.scheduler = not no_scheduler
    svc = build_services(cfg)
    if with_demo:
        _demo(svc)
    app = create_app(cfg, svc)
    click.echo(f"branchflow on http://{host}:{port}/  (API: /api, docs: /api/docs, database: {cfg.database_url})")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, (f"http://{host}:{port}/",)).start()
    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.command()
@click.option("--tick", "tick_seconds", type=float, default=None, help="seconds between sweeps (BRANCHFLOW_TICK_SECONDS)")
def scheduler(tick_seconds: float | None) -> None:
    """Run only the timer ticker and the outbox drain (production: beside gunicorn; several may run)."""
    import signal
    import threading

    from .app import build_services
    from .scheduler import start_ticker

    cfg = Config.from_env()
    svc = build_services(cfg)
    ticker = start_ticker(svc, tick_seconds or cfg.tick_seconds)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"branchflow scheduler: sweeping every {tick_seconds or cfg.tick_seconds:g} s ({cfg.database_url})")
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
@click.option("--branch", default=None, help="branch code that scopes the roles (omit for company-wide)")
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
            auth.add_user(svc, uow, name, password, display_name, [Grant(r, branch) for r in roles], email=email)
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
    from .domain.errors import BranchflowError
    from .flows import tasks as flows_tasks
    from .flows.actors import Actor

    svc = _services()
    try:
        with svc.uow() as uow:
            user = uow.identity.active_user(by)
            if user is None:
                raise click.ClickException(f"no active user {by}")
            flows_tasks.assign(svc, uow, Actor(by, uow.identity.grants_of(user)), task_id, assignee, reason)
    except BranchflowError as exc:
        raise click.ClickException(f"{exc.errors[0]['field'] + ': ' if exc.errors else ''}{exc.message}")
    click.echo(f"assigned {task_id} to {assignee}")


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
def timers_fire(now_iso: str) -> None:
    """Fire every timer due at --now and print what fired (JSON lines)."""
    from .flows.timers import fire_due

    now = _aware(now_iso)
    result = fire_due(_services(), now)
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


@main.group()
def audit() -> None:
    """Audit: verify hash chains and replays, export an instance's record."""


@audit.command("verify")
@click.argument("instance", required=False)
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), help="an export file, checked offline")
@click.option("--checkpoints", "witness_path", type=click.Path(exists=True, dir_okay=False),
              help="the witness log of signed checkpoints the auditor keeps (JSON lines)")
@click.option("--public-key", "public_key", help="the checkpoint signing key's public half (base64, or its .pub file)")
def audit_verify(instance: str | None, path: str | None, witness_path: str | None, public_key: str | None) -> None:
    """Replay and check INSTANCE, every instance, or an export file; non-zero exit on any mismatch.

    With --checkpoints and --public-key, also check the witness log's signatures and that every event it
    witnessed is still in the database (or the export) unchanged: a rewrite of history before the last
    checkpoint fails, naming the instance and the event."""
    from .domain.errors import BranchflowError
    from .flows import audit as flows_audit
    from .flows import checkpoints
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
    if path:
        from .flows.context import Services

        svc = Services(settings=Config.from_env().settings, clock=None, uow=None)  # offline: no database
        try:
            data = json.loads(open(path, encoding="utf-8").read())
            record = flows_audit.record_from_export(data)
        except (BranchflowError, json.JSONDecodeError) as exc:
            raise click.ClickException(str(exc))
        reports = [flows_audit.verify_record(svc, record)]
        if public is not None:
            findings = checkpoints.verify_inclusion(data, public, witness)
    else:
        svc = _services()
        if instance:
            try:
                with svc.uow() as uow:
                    reports = [flows_audit.verify(svc, uow, Actor.system(), instance)]
            except BranchflowError as exc:
                raise click.ClickException(exc.message)
        else:
            reports = flows_audit.verify_all(svc)
        if witness is not None:
            findings = checkpoints.verify_witnessed(svc, witness, public)
            if instance:
                findings = [f for f in findings if f.instance in (None, instance)]
    count = bad = 0
    for report in reports:  # printed as each is made: a long check shows its progress
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
        count, bad = count + 1, bad + (not report.ok)
    for finding in findings:
        click.echo(json.dumps({"checkpoint_mismatch": finding.__dict__}, ensure_ascii=False))
    click.echo(f"verified {count} instance(s), {bad} failed"
               + (f"; checkpoints: {len(findings)} mismatch(es)" if public is not None else ""), err=True)
    sys.exit(1 if bad or findings else 0)


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


if __name__ == "__main__":  # pragma: no cover
    main()
