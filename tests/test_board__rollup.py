"""The overview's rollup (``board_duty_months``) against the inbox rows: a quarter of the seeded company's work
(on time, late, escalated, overdue), then a ticket planned, withdrawn, sent back and terminated, a pairing
terminated with its duty overdue, a member's account disabled so her duty returns to the branch, new duties
escalated and done late; and a provisional deadline re-armed into another month when its year loads. After
each, the rollup equals a recount of the rows, the duty counts read from it equal those counted over the rows
themselves, and so does every figure of the overview. Also: rows written through the ORM, the admin check
and its repair, and migration 0013 filling the rollup from existing rows."""
from __future__ import annotations

import io
from datetime import datetime

from sqlalchemy import and_, case, func, literal, literal_column, select

from conftest import Api, build_app
from scenarios import HELPER, SEC, SUP, at_china, file_ticket, open_pairing, seed_company, travel
from service.domain import duties as D
from service.store import board_rollup
from service.store.models import BranchMonth, InboxTask
from service.store.queries_board import BoardQueries, DutyCounts

#: periods whose twelve months cover everything the tests do
PERIODS = ("2026-01", "2026-02", "2026-04", "2026Q1", "2026Q2", "2027-02")
TICKET_SEC = "sec_sb"


def _window(key: str) -> tuple[D.Period, list[datetime]]:
    period = D.quarter_period(key) if "Q" in key else D.month_period(key)
    months = D.months_back(period, 12)
    return period, [m.start_at for m in months] + [months[-1].end_at]


def _nonzero(counts) -> tuple[dict, dict]:
    return ({k: v for k, v in counts.by_month.items() if any(v)}, {k: v for k, v in counts.in_period.items() if any(v)})


def board(api: Api, key: str) -> dict:
    r = api.get("/api/board", SUP, query_string={"quarter": key} if "Q" in key else {"month": key})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _bucket(anchor, edges: list[datetime], lo: int, hi: int):
    """The index i of the interval edges[i] ≤ anchor < edges[i + 1] among lo..hi, as a balanced CASE tree."""
    if lo == hi:
        return literal(lo)
    mid = (lo + hi + 1) // 2
    return case((anchor < edges[mid], _bucket(anchor, edges, lo, mid - 1)), else_=_bucket(anchor, edges, mid, hi))


def recount_duty_counts(queries: BoardQueries, edges: list[datetime], period_start: datetime, now: datetime,
                        branches: list[str] | None) -> DutyCounts:
    """What ``BoardQueries.duty_counts`` answers, counted another way: one grouped pass over the inbox rows
    themselves, not the rollup (the oracle these tests hold the rollup to)."""
    elements = sorted(D.DUTY_KINDS)
    anchor = func.coalesce(InboxTask.due_at, InboxTask.created_at)
    done, open_ = InboxTask.status == "completed", InboxTask.status == "open"
    late = and_(done, InboxTask.due_at.is_not(None), InboxTask.closed_at > InboxTask.due_at)
    in_period = anchor >= period_start
    columns = [InboxTask.branch, _bucket(anchor, edges, 0, len(edges) - 2).label("bucket"),
               case((in_period, InboxTask.element), else_=None).label("in_element"),
               case((in_period, InboxTask.role), else_=None).label("in_role"),
               func.count(), func.count().filter(and_(done, ~late)), func.count().filter(late),
               func.count().filter(and_(open_, InboxTask.due_at.is_not(None), InboxTask.due_at < now)),
               func.count().filter(InboxTask.escalation_level > 0)]
    # grouped by the output names: PostgreSQL would not match a repeated CASE with its own parameters
    group = [InboxTask.branch] + [literal_column(n) for n in ("bucket", "in_element", "in_role")]
    conds = [InboxTask.kind == "user", InboxTask.element.in_(elements), InboxTask.status.in_(("open", "completed")),
             anchor >= edges[0], anchor < edges[-1]]
    if branches is not None:
        conds.append(InboxTask.branch.in_(branches))
    out = DutyCounts({}, {})
    for code, bucket, element, role, *figures in queries.session.execute(select(*columns).where(*conds).group_by(*group)):
        keys = [(out.by_month, (code, bucket), 4)] + ([(out.in_period, (code, element, role), 5)] if element else [])
        for counts, key, width in keys:
            total = counts.setdefault(key, [0] * width)
            for i in range(width):
                total[i] += figures[i]
    return out


def assert_exact(api: Api, monkeypatch) -> dict:
    """The rollup as the rows say; the duty counts of every period (every element the inbox holds, all branches
    and two) as counted over the rows; the overview of every period as with counts over the rows. The
    figures [due, on time, late, overdue, escalated] summed over the periods' grids, for the caller to check
    the work counted is there."""
    now = api.svc.clock.now()
    with api.svc.uow() as uow:
        conn = uow.session.connection()
        counted = board_rollup.recount(conn)
        assert board_rollup.stored(conn) == counted
        assert board_rollup.stored(conn, BranchMonth) == board_rollup.totals(counted)
        for key in PERIODS:
            period, edges = _window(key)
            for scope in (None, ["jg1", "sc1"]):
                args = (edges, period.start_at, now, scope)
                assert _nonzero(uow.board.duty_counts(*args)) == _nonzero(recount_duty_counts(uow.board, *args)), key
    totals = [0] * 5
    for key in PERIODS:
        read = board(api, key)
        with monkeypatch.context() as m:
            m.setattr(BoardQueries, "duty_counts", recount_duty_counts)
            assert board(api, key) == read, key
        for row in read["branches"]:
            for cell in row["cells"].values():
                for i, name in enumerate(("due", "on_time", "late", "overdue", "escalated")):
                    totals[i] += cell[name]
    return dict(zip(("due", "on_time", "late", "overdue", "escalated"), totals))


def _evidence(api: Api) -> dict:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = api.post("/api/attachments", TICKET_SEC, data={"branch": "sb", "file": (io.BytesIO(pdf), "整改报告.pdf")},
                 content_type="multipart/form-data")
    return {"evidence": [r.get_json()["id"]], "description": "整改报告"}


def _personal_claim(api: Api) -> str:
    """jg1's 2026Q2 duty posts published, and jg1_m01's claim handed to her personally: the claim's id."""
    r = api.post("/api/duty/quarters", SUP, json={"quarter": "2026Q2", "branches": ["jg1"]})
    assert r.status_code == 201, r.get_json()
    quarter = r.get_json()["ids"][0]
    posts = [{"code": "B1", "kind": "basic", "title": "学习教育岗", "duty": "按时参加组织生活，完成学习任务"},
             {"code": "T1", "kind": "tough", "title": "台账规范攻坚岗", "duty": "牵头补齐支部标准化台账"}]
    api.complete("sec_jg1", "publish_posts", {"meeting_date": "2026-04-02", "posts": posts, "claim_by": "2026-04-09"},
                 quarter)
    claims = [c["id"] for c in api.get(f"/api/instances/{quarter}", SUP).get_json()["children"]]
    claim = next(c for c in claims if api.get(f"/api/instances/{c}", SUP).get_json()["data"]["member"] == "jg1_m01")
    task = api.task("jg1_m01", "fill_claim", claim)
    if task["assignee"] is None:
        r = api.post(f"/api/tasks/{task['id']}/assign", "sec_jg1", json={"assignee": "jg1_m01", "reason": "本人认领"})
        assert r.status_code == 200, r.get_json()
    return claim


def test_the_rollup_keeps_to_the_rows_through_a_quarter_of_work_and_what_follows(tmp_path, monkeypatch):
    api = Api(build_app(tmp_path))
    ids = seed_company(api)
    seeded = assert_exact(api, monkeypatch)
    assert all(seeded[k] for k in ("on_time", "late", "overdue", "escalated")), seeded

    # a ticket: planned, its rectification withdrawn and redone, sent back from the verification, terminated
    tid = file_ticket(api, TICKET_SEC, rectify_by="2026-04-30")["id"]
    api.complete(TICKET_SEC, "plan", {"measures": ["制作制度牌并上墙"], "owner": "组织委员", "planned_date": "2026-04-20"}, tid)
    rectify = {"actions": "制度牌已制作并悬挂", "completed_date": "2026-04-02"}
    done = api.complete(TICKET_SEC, "rectify", rectify, tid)
    assert api.post(f"/api/tasks/{done['id']}/withdraw", TICKET_SEC).status_code == 200
    api.complete(TICKET_SEC, "rectify", rectify, tid)
    api.complete(TICKET_SEC, "evidence", _evidence(api), tid)
    verify = api.task(SUP, "verify", tid)
    r = api.post(f"/api/tasks/{verify['id']}/send-back", SUP, json={"target": "rectify", "reason": "整改不到位"})
    assert r.status_code == 200, r.get_json()
    assert_exact(api, monkeypatch)
    assert api.post(f"/api/instances/{tid}/terminate", SUP, json={"reason": "并入其他整改"}).status_code == 200
    # 生产二支部's pairing, its tools overdue and escalated, terminated: the duty is no longer counted
    assert api.post(f"/api/instances/{ids['sc2']}/terminate", SUP, json={"reason": "帮扶人调整"}).status_code == 200
    # a member's personal duty goes back to her branch's committee when her account is disabled
    claim = _personal_claim(api)
    r = api.call("PATCH", "/api/people/jg1_m01", "admin", json={"active": False})
    assert r.status_code == 200, r.get_json()
    assert api.task("wei_jg1", "fill_claim", claim)["role"] == "branch_committee"
    assert_exact(api, monkeypatch)
    # weeks later: the open duties escalate, some are done late
    travel(api, at_china("2026-04-20"))
    api.complete("wei_jg1", "fill_claim", {"basic": ["B1"], "strengths": "代为认领"}, claim)
    api.complete("sec_jg1", "plan",
                 {"measures": ["补齐台账"], "owner": "组织委员", "planned_date": "2026-04-30"}, ids["ticket"])
    later = assert_exact(api, monkeypatch)
    assert later["due"] and later["escalated"]


def tools(api: Api, month: str) -> int:
    """机关二支部's 3-working-day duties due in ``month``."""
    return next(b for b in board(api, month)["branches"] if b["branch"] == "jg2")["cells"]["workdays"]["due"]


def test_a_deadline_rearmed_into_another_month_moves_its_count(tmp_path, monkeypatch):
    """Thursday 28 January 2027, no official 2027 schedule: the tools' 3 working days end Tuesday 2 February
    (provisional). The year loads with 30 and 31 January as working days: due Sunday 31 January instead."""
    api = Api(build_app(tmp_path, now=at_china("2027-01-25")))
    iid = open_pairing(api, term_start="2027-01-25")
    api.complete(HELPER, "sign_helper", {"signed": True}, iid)
    api.complete(SEC, "sign_secretary", {"signed": True}, iid)
    api.complete(SUP, "file_letter", {"archive_no": "A1"}, iid)
    api.travel(at_china("2027-01-28", "10:00"))
    api.complete(HELPER, "diagnosis", {"methods": ["看资料", "访党员", "问群众"],
                                       "shortcomings": [{"title": "台账", "description": "缺失"}], "summary": "薄弱"}, iid)
    task = api.task(HELPER, "supply_tools", iid)
    assert task["due_provisional"] is True and task["due_at"].startswith("2027-02-02")
    assert tools(api, "2027-02") == 1
    assert_exact(api, monkeypatch)
    year = {"year": 2027, "source": "测试用日程（非官方）", "holidays": ["2027-01-01"], "workdays": ["2027-01-30", "2027-01-31"]}
    r = api.post("/api/calendar/years", "admin", json=year)
    assert r.status_code == 200, r.get_json()
    task = api.task(HELPER, "supply_tools", iid)
    assert task["due_provisional"] is False and task["due_at"].startswith("2027-01-31")
    assert (tools(api, "2027-01"), tools(api, "2027-02")) == (1, 0)
    assert_exact(api, monkeypatch)


def test_rows_written_through_the_orm_count_as_rows_written_by_statements(api):
    """A mapped inbox row added, changed (its branch, due time, status, escalation) and deleted: after each
    commit the rollup is the recount; a rolled-back change leaves it as it was."""
    iid = open_pairing(api)
    due = at_china("2026-03-31", "18:00")

    def counted() -> dict:
        with api.svc.uow() as uow:
            conn = uow.session.connection()
            stored = board_rollup.stored(conn)
            assert stored == board_rollup.recount(conn)
            return stored

    before = counted()
    with api.svc.uow() as uow:
        uow.add(InboxTask(id="t-orm", instance_id=iid, process_id="pairing", kind="user", element="spot_check",
                          name="抽查", role="helper", branch="jg2", status="open", due_at=due,
                          created_at=at_china("2026-03-02")))
        uow.commit()
    assert counted()[("2026-03", "jg2", "spot_check", "helper")] == (1, 0, 0, 0, 0)
    changes = [{"branch": "sb"}, {"due_at": at_china("2026-04-01", "18:00")}, {"escalation_level": 1},
               {"status": "completed", "closed_at": at_china("2026-04-02")}]
    for change in changes:
        with api.svc.uow() as uow:
            row = uow.session.get(InboxTask, "t-orm")
            for key, value in change.items():
                setattr(row, key, value)
            uow.commit()
        counted()
    assert counted()[("2026-04", "sb", "spot_check", "helper")] == (0, 1, 0, 1, 1)  # done a day late, escalated
    with api.svc.uow() as uow:
        uow.session.get(InboxTask, "t-orm").branch = "jg1"
        uow.flush()  # written, then rolled back with the transaction
    with api.svc.uow() as uow:
        uow.delete(uow.session.get(InboxTask, "t-orm"))
        uow.commit()
    assert counted() == before


def test_the_admin_check_finds_counts_written_around_the_store_and_repairs_them(api, tmp_path):
    from click.testing import CliRunner
    from sqlalchemy import insert, update

    from service.cli import main
    from service.store.models import DutyMonth

    iid = open_pairing(api)
    api.complete(HELPER, "sign_helper", {"signed": True}, iid)
    env = {"BRANCHFLOW_DATABASE_URL": str(api.svc.db_engine.url), "BRANCHFLOW_CALENDAR_DIR": str(tmp_path / "none")}
    check = CliRunner().invoke(main, ["board", "check"], env=env)
    assert check.exit_code == 0 and "match" in check.output, check.output
    with api.svc.db_engine.begin() as conn:  # an edit by hand
        conn.execute(update(DutyMonth).where(DutyMonth.element == "sign_helper").values(done=DutyMonth.done + 2))
    check = CliRunner().invoke(main, ["board", "check"], env=env)
    assert check.exit_code == 1 and '"element": "sign_helper"' in check.output, check.output
    repair = CliRunner().invoke(main, ["board", "check", "--repair"], env=env)
    assert repair.exit_code == 0 and "rebuilt" in repair.output, repair.output
    assert CliRunner().invoke(main, ["board", "check"], env=env).exit_code == 0
    with api.svc.db_engine.begin() as conn:  # a branch's month of duties (a heat-map cell) written by hand
        conn.execute(insert(BranchMonth).values(month="2031-01", branch="jg1", open_rows=0, done=1, on_time=0, late=1,
                                                escalated=0))
    check = CliRunner().invoke(main, ["board", "check"], env=env)
    assert check.exit_code == 1 and '"element": null' in check.output, check.output
    assert CliRunner().invoke(main, ["board", "check", "--repair"], env=env).exit_code == 0
    assert CliRunner().invoke(main, ["board", "check"], env=env).exit_code == 0


def test_migrations_0013_and_0016_fill_the_rollup_from_the_rows_and_downgrade(api):
    from sqlalchemy import inspect

    from service.store import migrate

    iid = open_pairing(api)
    for user, element in ((HELPER, "sign_helper"), (SEC, "sign_secretary")):
        api.complete(user, element, {"signed": True}, iid)
    file_ticket(api, TICKET_SEC)  # its plan is a duty: a branch's month of duties
    engine = api.svc.db_engine
    with engine.begin() as conn:
        kept, months = board_rollup.stored(conn), board_rollup.stored(conn, BranchMonth)
    assert kept and months
    assert migrate.downgrade(engine, "0012") == "0012"
    tables = inspect(engine).get_table_names()
    assert "board_duty_months" not in tables and "board_branch_months" not in tables
    assert "ix_inbox_overdue" not in {i["name"] for i in inspect(engine).get_indexes("inbox_tasks")}
    assert migrate.upgrade(engine) == migrate.head() and migrate.differences(engine) == []
    with engine.begin() as conn:
        assert board_rollup.stored(conn) == kept == board_rollup.recount(conn)
        assert board_rollup.stored(conn, BranchMonth) == months == board_rollup.totals(kept)
