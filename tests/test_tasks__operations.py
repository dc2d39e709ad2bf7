"""Task operations through the API: send back, withdraw, terminate, transfer, urge, carbon copy, release;
who may (and who gets 403/404/409/422/429), and `audit verify` passing afterwards."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from conftest import T0
from scenarios import SEC, SUP, WEI, file_ticket, open_pairing, run_month, through_plan
from service.store.models import Outbox, Timer

TICKET_SEC = "sec_sb"
PLAN = {"measures": ["制作制度牌并上墙"], "owner": "组织委员", "planned_date": "2026-03-10"}
RECTIFY = {"actions": "制度牌已制作并悬挂", "completed_date": "2026-03-09"}


def verified(api, iid) -> bool:
    return api.get(f"/api/instances/{iid}/verify", "auditor").get_json()["ok"]


def history(api, iid) -> list[str]:
    return [e["type"] for e in api.get(f"/api/instances/{iid}/history", "auditor").get_json()]


def evidence(api) -> dict:
    import io

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = api.post("/api/attachments", TICKET_SEC, data={"branch": "sb", "file": (io.BytesIO(pdf), "整改报告.pdf")},
                 content_type="multipart/form-data")
    return {"evidence": [r.get_json()["id"]], "description": "整改报告"}


def ticket_at_verify(api) -> str:
    tid = file_ticket(api)["id"]
    api.complete(TICKET_SEC, "plan", PLAN, tid)
    api.complete(TICKET_SEC, "rectify", RECTIFY, tid)
    api.complete(TICKET_SEC, "evidence", evidence(api), tid)
    return tid


def test_send_back_reopens_an_earlier_task_and_keeps_the_history(api):
    tid = ticket_at_verify(api)
    verify = api.task(SUP, "verify", tid)
    targets = api.get(f"/api/tasks/{verify['id']}/send-back", SUP).get_json()["items"]
    assert [t["element"] for t in targets] == ["evidence", "rectify"]
    url = f"/api/tasks/{verify['id']}/send-back"
    r = api.post(url, SUP, json={"target": "plan", "reason": "方案需重做"})  # not declared for this task
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "target"
    assert api.post(url, SUP, json={"target": "rectify"}).status_code == 422  # a reason is required
    assert api.post(url, "sec_jg1", json={"target": "rectify", "reason": "不合格"}).status_code == 404  # not visible
    assert api.post(url, TICKET_SEC, json={"target": "rectify", "reason": "不合格"}).status_code == 403  # not the holder
    r = api.post(url, SUP, json={"target": "rectify", "reason": "整改不到位，重新整改"})
    assert r.status_code == 200, r.get_json()
    assert [t["element"] for t in r.get_json()["open_tasks"]] == ["rectify"]
    rectify = api.task(TICKET_SEC, "rectify", tid)
    assert rectify["due_at"] is not None  # its deadline timers are armed again
    with api.svc.uow() as uow:
        timers = uow.session.scalars(select(Timer).where(Timer.instance_id == tid)).all()
        assert {t.element for t in timers if t.status == "pending"} == {"rectify_remind", "rectify_overdue", "rectify_escalate2"}
    done = [t["element"] for t in api.get("/api/tasks/done", TICKET_SEC, query_string={"per_page": 50}).get_json()["items"]]
    assert done.count("rectify") == 1 and "evidence" in done  # earlier completions stay in 已办
    assert api.get(f"/api/tasks/{verify['id']}", SUP).get_json()["status"] == "closed"
    assert "send_back" in history(api, tid)
    # the process runs on from there
    api.complete(TICKET_SEC, "rectify", RECTIFY, tid)
    api.complete(TICKET_SEC, "evidence", evidence(api), tid)
    api.complete(SUP, "verify", {"verdict": "closed", "comment": "整改到位"}, tid)
    assert api.get(f"/api/instances/{tid}", SUP).get_json()["status"] == "completed"
    assert verified(api, tid)


def test_withdraw_takes_a_task_back_until_the_next_one_is_touched(api):
    tid = file_ticket(api)["id"]
    api.complete(TICKET_SEC, "plan", PLAN, tid)
    done = api.complete(TICKET_SEC, "rectify", RECTIFY, tid)
    assert api.post(f"/api/tasks/{done['id']}/withdraw", "wei_sb").status_code in (403, 404, 409)
    r = api.post(f"/api/tasks/{done['id']}/withdraw", TICKET_SEC)
    assert r.status_code == 200, r.get_json()
    assert [t["element"] for t in r.get_json()["open_tasks"]] == ["rectify"]
    assert api.task(TICKET_SEC, "rectify", tid)["id"] == done["id"]
    assert api.post(f"/api/tasks/{done['id']}/withdraw", TICKET_SEC).status_code == 409  # open again: nothing to withdraw
    # once the next task is claimed, it is too late
    done = api.complete(TICKET_SEC, "rectify", RECTIFY, tid)
    evidence = api.task(TICKET_SEC, "evidence", tid)
    assert api.post(f"/api/tasks/{evidence['id']}/claim", "wei_sb").status_code in (200, 403)
    api.post(f"/api/tasks/{evidence['id']}/claim", TICKET_SEC)
    assert api.post(f"/api/tasks/{done['id']}/withdraw", TICKET_SEC).status_code == 409
    assert history(api, tid).count("withdraw") == 1
    assert verified(api, tid)


def test_terminate_ends_an_instance_and_the_steps_it_waits_on(api):
    iid = open_pairing(api, term_start="2026-03-02")  # the term began today: month 1 opens with the plan
    through_plan(api, iid)
    month = [c for c in api.get(f"/api/instances/{iid}", SUP).get_json()["children"] if c["status"] == "running"][0]["id"]
    assert api.post(f"/api/instances/{month}/terminate", SUP, json={"reason": "误操作"}).status_code == 409
    assert api.post(f"/api/instances/{iid}/terminate", SEC, json={"reason": "误操作"}).status_code == 403
    assert api.post(f"/api/instances/{iid}/terminate", SUP, json={}).status_code == 422
    r = api.post(f"/api/instances/{iid}/terminate", SUP, json={"reason": "结对对象调整，终止本次结对"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["status"], body["outcome"], body["open_tasks"]) == ("completed", "terminated", [])
    child = api.get(f"/api/instances/{month}", SUP).get_json()
    assert (child["status"], child["outcome"]) == ("completed", "terminated")
    assert not [t for t in api.inbox(SUP) + api.inbox(SEC) if t["instance_id"] in (iid, month)]
    with api.svc.uow() as uow:
        assert not uow.session.scalars(select(Timer).where(Timer.instance_id.in_([iid, month]),
                                                           Timer.status == "pending")).all()
    assert api.post(f"/api/instances/{iid}/terminate", SUP, json={"reason": "再次终止"}).status_code == 409
    assert history(api, iid)[-1] == "terminate" and verified(api, iid) and verified(api, month)


def test_transfer_makes_the_task_personal_to_a_colleague_of_the_same_role(api):
    iid = open_pairing(api)
    for user, element, data in (("supervisor", "sign_helper", {"signed": True}), (SEC, "sign_secretary", {"signed": True}),
                                ("supervisor", "file_letter", {"archive_no": "JD-1"})):
        api.complete(user, element, data, iid)
    diagnosis = api.task(SUP, "diagnosis", iid)
    plan_data = {"methods": ["看资料", "访党员", "问群众"], "shortcomings": [{"title": "台账不全", "description": "三会一课记录缺失"}],
                 "summary": "台账管理薄弱"}
    del plan_data
    api.complete(SUP, "diagnosis", {"methods": ["看资料", "访党员", "问群众"],
                                    "shortcomings": [{"title": "台账不全", "description": "三会一课记录缺失"}],
                                    "summary": "台账管理薄弱"}, iid)
    api.complete(SUP, "supply_tools", {"tools": [{"name": "台账模板"}]}, iid)
    plan = api.task(WEI, "improvement_plan", iid)
    url = f"/api/tasks/{plan['id']}/transfer"
    r = api.post(url, WEI, json={"to": "sec_jg1", "reason": "出差"})  # not a committee member of 机关二支部
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "to"
    assert api.post(url, WEI, json={"to": "nobody", "reason": "出差"}).status_code == 422
    r = api.post(url, WEI, json={"to": SEC, "reason": "本人出差一周"})
    assert r.status_code == 200 and r.get_json()["assignee"] == SEC
    body = {"data": {"actions": [{"action": "补齐台账", "owner": "组织委员", "deadline": "2026-04-30"}]}}
    assert api.post(f"/api/tasks/{plan['id']}/complete", WEI, json=body).status_code == 403
    assert api.post(url, WEI, json={"to": WEI, "reason": "收回"}).status_code == 403  # no longer theirs to hand on
    assert api.post(f"/api/tasks/{plan['id']}/complete", SEC, json=body).status_code == 200
    with api.svc.uow() as uow:
        assert uow.session.scalars(select(Outbox).where(Outbox.recipient == SEC, Outbox.subject.like("【转办】%"))).all()
    assert "transfer" in history(api, iid) and verified(api, iid)
    assert diagnosis


def test_urge_messages_the_holders_once_an_hour(api):
    tid = file_ticket(api)["id"]
    plan = api.task(TICKET_SEC, "plan", tid)
    url = f"/api/tasks/{plan['id']}/urge"
    assert api.post(url, "sec_jg1", json={}).status_code == 404  # another branch's task is not visible
    r = api.post(url, SUP, json={"note": "请本周内完成"})
    assert r.status_code == 200 and TICKET_SEC in r.get_json()["recipients"]
    again = api.post(url, SUP, json={})
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0
    api.travel(T0 + timedelta(hours=1, minutes=1))
    assert api.post(url, SUP, json={}).status_code == 200
    with api.svc.uow() as uow:
        sent = uow.session.scalars(select(Outbox).where(Outbox.recipient == TICKET_SEC, Outbox.subject.like("【催办】%"))).all()
    assert len(sent) >= 2 and "请本周内完成" in sent[0].body
    assert history(api, tid).count("urge") == 2 and verified(api, tid)


def test_carbon_copy_lets_named_people_read_and_mark_it_read(api):
    tid = file_ticket(api)["id"]
    assert api.get(f"/api/instances/{tid}", "sec_jg1").status_code == 404
    url = f"/api/instances/{tid}/cc"
    assert api.post(url, "auditor", json={"recipients": ["sec_jg1"]}).status_code == 403
    r = api.post(url, TICKET_SEC, json={"recipients": ["nobody"]})
    assert r.status_code == 422 and r.get_json()["error"]["errors"][0]["field"] == "recipients[0]"
    r = api.post(url, TICKET_SEC, json={"recipients": ["sec_jg1"], "note": "供参考"})
    assert r.get_json()["recipients"] == ["sec_jg1"]
    assert api.post(url, TICKET_SEC, json={"recipients": ["sec_jg1"]}).get_json()["recipients"] == []  # once
    assert api.get(f"/api/instances/{tid}", "sec_jg1").status_code == 200  # read-only: may read it
    plan = api.task(TICKET_SEC, "plan", tid)
    assert api.post(f"/api/tasks/{plan['id']}/complete", "sec_jg1", json={"data": PLAN}).status_code in (403, 404)
    copies = api.get("/api/cc", "sec_jg1", query_string={"unread": "true"}).get_json()
    assert copies["total"] == 1 and copies["items"][0]["instance_title"]
    assert api.post(f"/api/cc/{copies['items'][0]['id']}/read", "sec_jg2").status_code == 404
    assert api.post(f"/api/cc/{copies['items'][0]['id']}/read", "sec_jg1").status_code == 204
    assert api.get("/api/cc", "sec_jg1", query_string={"unread": "true"}).get_json()["total"] == 0
    r = api.post(url, TICKET_SEC, json={"roles": ["supervisor"]})  # a role: everyone holding it
    assert r.status_code == 200 and SUP in r.get_json()["recipients"]
    assert api.post(url, TICKET_SEC, json={"roles": ["nobody"]}).status_code == 422
    assert api.post(url, TICKET_SEC, json={}).status_code == 422
    assert "cc" in history(api, tid) and verified(api, tid)


def test_a_strangers_wrong_passwords_do_not_lock_the_real_user_out(api):
    from conftest import DEMO_PASSWORD

    stranger = api.app.test_client()
    for _ in range(6):
        r = stranger.post("/api/auth/login", json={"username": SEC, "password": "guess-guess"},
                          environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert r.status_code == 429
    real = api.client.post("/api/auth/login", json={"username": SEC, "password": DEMO_PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert real.status_code == 200
    # guesses spread over many addresses still lock the name everywhere (five times the limit)
    for i in range(26):
        stranger.post("/api/auth/login", json={"username": SEC, "password": "guess-guess"},
                      environ_base={"REMOTE_ADDR": f"10.8.{i}.1"})
    late = api.app.test_client().post("/api/auth/login", json={"username": SEC, "password": DEMO_PASSWORD},
                                      environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert late.status_code == 429
    assert api.post(f"/api/users/{SEC}/unlock", "admin").status_code == 200
    assert api.app.test_client().post("/api/auth/login", json={"username": SEC, "password": DEMO_PASSWORD},
                                      environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200
    assert run_month  # the month helper stays importable for the walks


def _at_plan(api) -> tuple[str, dict]:
    tid = file_ticket(api)["id"]
    return tid, api.task(TICKET_SEC, "plan", tid)


def test_delegate_returns_the_work_to_its_owner_to_confirm_or_redo(api):
    tid, plan = _at_plan(api)
    url = f"/api/tasks/{plan['id']}/delegate"
    assert api.post(url, TICKET_SEC, json={"to": TICKET_SEC, "reason": "请代办"}).status_code == 422
    r = api.post(url, TICKET_SEC, json={"to": "wei_sb", "reason": "请组织委员起草"})
    assert r.status_code == 200 and (r.get_json()["assignee"], r.get_json()["owner"]) == ("wei_sb", TICKET_SEC)
    body = {"data": PLAN}
    assert api.post(f"/api/tasks/{plan['id']}/complete", TICKET_SEC, json=body).status_code == 403  # it is with the delegate
    assert api.post(f"/api/tasks/{plan['id']}/complete", "wei_sb", json=body).status_code == 200
    back = api.get(f"/api/tasks/{plan['id']}", TICKET_SEC).get_json()
    assert (back["status"], back["assignee"], back["draft"]) == ("open", TICKET_SEC, PLAN)  # not completed yet
    # redo: delegated again, then confirmed by the owner
    api.post(url, TICKET_SEC, json={"to": "wei_sb", "reason": "计划日期需提前"})
    api.post(f"/api/tasks/{plan['id']}/complete", "wei_sb", json={"data": dict(PLAN, planned_date="2026-03-06")})
    assert api.post(f"/api/tasks/{plan['id']}/complete", TICKET_SEC, json={"data": dict(PLAN, planned_date="2026-03-06")}).status_code == 200
    assert api.task(TICKET_SEC, "rectify", tid)["status"] == "open"
    assert [t for t in history(api, tid) if t.startswith("delegate")] == ["delegate", "delegate_done", "delegate", "delegate_done"]
    assert verified(api, tid)


def test_countersign_before_blocks_until_approved_and_after_holds_the_submission(api):
    tid, plan = _at_plan(api)
    r = api.post(f"/api/tasks/{plan['id']}/countersign", TICKET_SEC, json={"signer": SUP, "when": "before", "reason": "请党群部把关"})
    assert r.status_code == 201, r.get_json()
    sign = r.get_json()
    assert sign["kind"] == "sign_before" and sign["assignee"] == SUP
    assert any(t["id"] == sign["id"] for t in api.inbox(SUP))
    assert api.post(f"/api/tasks/{plan['id']}/complete", TICKET_SEC, json={"data": PLAN}).status_code == 409
    assert api.post(f"/api/tasks/{sign['id']}/complete", SUP, json={"data": {"comment": "无"}}).status_code == 422
    assert api.post(f"/api/tasks/{sign['id']}/complete", SUP, json={"data": {"approved": True, "comment": "同意"}}).status_code == 200
    assert api.post(f"/api/tasks/{plan['id']}/complete", TICKET_SEC, json={"data": PLAN}).status_code == 200
    rectify = api.task(TICKET_SEC, "rectify", tid)
    # after: my submission waits for the signer; a refusal returns it to me, an approval lets it through
    after = api.post(f"/api/tasks/{rectify['id']}/countersign", TICKET_SEC,
                     json={"signer": SUP, "when": "after", "reason": "整改完成情况请审核"}).get_json()
    assert not any(t["id"] == after["id"] for t in api.inbox(SUP))  # nothing to sign before I submit
    assert api.post(f"/api/tasks/{rectify['id']}/complete", TICKET_SEC, json={"data": RECTIFY}).status_code == 200
    held = api.get(f"/api/tasks/{rectify['id']}", TICKET_SEC).get_json()
    assert (held["status"], held["draft"]) == ("open", RECTIFY)
    assert api.post(f"/api/tasks/{after['id']}/complete", SUP, json={"data": {"approved": False, "comment": "照片不全"}}).status_code == 200
    assert api.get(f"/api/tasks/{rectify['id']}", TICKET_SEC).get_json()["status"] == "open"
    assert not any(t["id"] == after["id"] for t in api.inbox(SUP))
    again = dict(RECTIFY, actions="补充照片后制度牌已上墙")
    api.post(f"/api/tasks/{rectify['id']}/complete", TICKET_SEC, json={"data": again})
    assert api.post(f"/api/tasks/{after['id']}/complete", SUP, json={"data": {"approved": True}}).status_code == 200
    assert api.get(f"/api/tasks/{rectify['id']}", TICKET_SEC).get_json()["status"] == "completed"
    assert api.task(TICKET_SEC, "evidence", tid)["status"] == "open"
    decisions = [e for e in api.get(f"/api/instances/{tid}/history", "auditor").get_json() if e["type"] == "countersign_decision"]
    assert [d["data"]["approved"] for d in decisions] == [True, False, True]
    assert verified(api, tid)


def test_a_deputy_receives_and_does_the_work_of_someone_away_recorded_as_such(api):
    tid, plan = _at_plan(api)
    assert not any(t["id"] == plan["id"] for t in api.inbox("sec_jg1"))
    r = api.post("/api/me/deputies", TICKET_SEC, json={"deputy": "sec_jg1", "starts_on": "2026-03-09", "ends_on": "2026-03-13"})
    assert r.status_code == 201, r.get_json()
    bad = api.post("/api/me/deputies", TICKET_SEC, json={"deputy": "sec_jg1", "starts_on": "2026-03-13", "ends_on": "2026-03-09"})
    assert bad.status_code == 422 and bad.get_json()["error"]["errors"][0]["field"] == "ends_on"
    assert not any(t["id"] == plan["id"] for t in api.inbox("sec_jg1"))  # not yet: the period starts on Monday
    api.travel(T0 + timedelta(days=7))  # 2026-03-09
    assert any(t["id"] == plan["id"] for t in api.inbox("sec_jg1"))
    assert api.post(f"/api/tasks/{plan['id']}/complete", "sec_jg1", json={"data": PLAN}).status_code == 200
    events = api.get(f"/api/instances/{tid}/history", "auditor").get_json()
    deputy = [e for e in events if e["type"] == "deputy"]
    assert deputy and deputy[0]["data"]["principal"] == TICKET_SEC and deputy[0]["actor"] == "sec_jg1"
    api.travel(T0 + timedelta(days=14))  # the period is over
    assert not any(t["instance_id"] == tid for t in api.inbox("sec_jg1"))
    assert verified(api, tid)


def _at_once(api, calls) -> list[int]:
    """Run the calls (user, path, json) in parallel threads, each with its own client; their statuses."""
    import threading

    tokens = [api.login(user) for user, _path, _body in calls]
    barrier, out = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, path, body):
        client = api.app.test_client()
        barrier.wait()
        out[i] = client.post(path, json=body, headers={"Authorization": f"Bearer {tokens[i]}"}).status_code

    threads = [threading.Thread(target=run, args=(i, path, body)) for i, (_u, path, body) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_racing_operations_on_one_task_one_wins_the_other_gets_409(api):
    iid = open_pairing(api, term_start="2026-03-02")
    through_plan(api, iid)  # the month's work is open: visits for the helper, progress for the branch
    child = [c for c in api.get(f"/api/instances/{iid}", SUP).get_json()["children"] if c["status"] == "running"][0]["id"]
    progress = api.task(SEC, "monthly_progress", child)
    # two committee members of the branch claim the shared task at once
    statuses = _at_once(api, [(SEC, f"/api/tasks/{progress['id']}/claim", {}),
                              (WEI, f"/api/tasks/{progress['id']}/claim", {})])
    assert sorted(statuses) in ([200, 409], [200, 403]), statuses
    holder = api.get(f"/api/tasks/{progress['id']}", SEC).get_json()["claimed_by"]
    assert holder in (SEC, WEI)
    # the holder completes while the secretary sends the claim back at once: one of them applies
    statuses = _at_once(api, [(holder, f"/api/tasks/{progress['id']}/complete",
                               {"data": {"progress": "台账补齐一半", "completion_rate": 50}}),
                              (SEC, f"/api/tasks/{progress['id']}/release", {})])
    assert 200 in statuses and all(s in (200, 409) for s in statuses), statuses
    # the same person withdrawing twice at once: once
    done = api.get(f"/api/tasks/{progress['id']}", SEC).get_json()
    if done["status"] != "completed":
        api.post(f"/api/tasks/{progress['id']}/complete", SEC, json={"data": {"progress": "台账补齐一半", "completion_rate": 50}})
    closer = api.get(f"/api/tasks/{progress['id']}", SEC).get_json()["closed_by"]
    statuses = _at_once(api, [(closer, f"/api/tasks/{progress['id']}/withdraw", {}),
                              (closer, f"/api/tasks/{progress['id']}/withdraw", {})])
    assert sorted(statuses) == [200, 409], statuses
    assert history(api, child).count("withdraw") == 1 and verified(api, child) and verified(api, iid)


def test_an_admin_terminates_and_unlocks_from_the_cli(api, tmp_path):
    from click.testing import CliRunner

    from conftest import DEMO_PASSWORD
    from service.cli import main as cli

    env = {"BRANCHFLOW_DATABASE_URL": api.svc.db_engine.url.render_as_string(hide_password=False),
           "BRANCHFLOW_CALENDAR_DIR": str(tmp_path / "none"), "BRANCHFLOW_NOW": T0.isoformat()}
    tid = file_ticket(api)["id"]
    refused = CliRunner().invoke(cli, ["instances", "terminate", tid, "--reason", "误", "--by", "admin"], env=env)
    assert refused.exit_code != 0 and "reason" in refused.output
    done = CliRunner().invoke(cli, ["instances", "terminate", tid, "--reason", "测试数据，终止", "--by", "admin"], env=env)
    assert done.exit_code == 0, done.output
    assert api.get(f"/api/instances/{tid}", SUP).get_json()["outcome"] == "terminated"
    for _ in range(6):
        api.client.post("/api/auth/login", json={"username": "wei_sb", "password": "guess-guess"})
    assert api.client.post("/api/auth/login", json={"username": "wei_sb", "password": DEMO_PASSWORD}).status_code == 429
    assert CliRunner().invoke(cli, ["users", "unlock", "wei_sb"], env=env).exit_code == 0
    assert api.client.post("/api/auth/login", json={"username": "wei_sb", "password": DEMO_PASSWORD}).status_code == 200
    reset = CliRunner().invoke(cli, ["users", "password", "wei_sb", "--password-stdin"], input="new-secret-9\n", env=env)
    assert reset.exit_code == 0, reset.output
    assert api.client.post("/api/auth/login", json={"username": "wei_sb", "password": "new-secret-9"}).status_code == 200
    listed = CliRunner().invoke(cli, ["users", "list"], env=env)
    assert '"username": "wei_sb"' in listed.output and '"display_name": "设备党支部组织委员"' in listed.output


def test_every_send_back_the_pairing_declares_rewinds(api):
    """supply_tools → diagnosis rewinds past a task with armed timers (their registrations must go too),
    improvement_plan → supply_tools; the process runs on from there."""
    iid = open_pairing(api, term_start="2026-03-02")
    for user, element, data in (("supervisor", "sign_helper", {"signed": True}), (SEC, "sign_secretary", {"signed": True}),
                                ("supervisor", "file_letter", {"archive_no": "JD-1"})):
        api.complete(user, element, data, iid)
    diagnosis = {"methods": ["看资料", "访党员", "问群众"], "shortcomings": [{"title": "台账不全", "description": "三会一课记录缺失"}],
                 "summary": "台账管理薄弱"}
    api.complete(SUP, "diagnosis", diagnosis, iid)
    tools = api.task(SUP, "supply_tools", iid)
    r = api.post(f"/api/tasks/{tools['id']}/send-back", SUP, json={"target": "diagnosis", "reason": "诊断不全，补充访谈"})
    assert r.status_code == 200, r.get_json()
    assert [t["element"] for t in r.get_json()["open_tasks"]] == ["diagnosis"]
    api.complete(SUP, "diagnosis", diagnosis, iid)
    api.complete(SUP, "supply_tools", {"tools": [{"name": "台账模板"}]}, iid)
    plan = api.task(WEI, "improvement_plan", iid)
    r = api.post(f"/api/tasks/{plan['id']}/send-back", WEI, json={"target": "supply_tools", "reason": "工具不适用"})
    assert r.status_code == 200, r.get_json()
    api.complete(SUP, "supply_tools", {"tools": [{"name": "三会一课记录模板"}]}, iid)
    api.complete(WEI, "improvement_plan", {"actions": [{"action": "补齐台账", "owner": "组织委员", "deadline": "2026-04-30"}]}, iid)
    api.complete(SUP, "confirm_plan", {"plan_confirmed": True}, iid)
    assert any(c["status"] == "running" for c in api.get(f"/api/instances/{iid}", SUP).get_json()["children"])
    assert history(api, iid).count("send_back") == 2 and verified(api, iid)
