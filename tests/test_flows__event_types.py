"""One table of event types serves the live path and replay: every type in a real history is in it, and
each reads back from its stored data into the same event."""
from __future__ import annotations

from service.flows import event_types

SAMPLES = [
    event_types.Start("pairing", "a" * 64, {"branch": "jg2"}),
    event_types.Start("pairing_month", "b" * 64, {"month": 1}, parent="p-1"),
    event_types.Complete("t-1", {"signed": True}),
    event_types.FireTimers(["x", "y"]),
    event_types.DeliverMessage("pairing_month_done", {"child": "c"}, "c"),
    event_types.Rearm("calendar year loaded", {"year": 2027}),
    event_types.Claim("t-1"),
    event_types.Release("t-1", "wei_jg2"),
    event_types.Escalation("t-1", 1, "supervisor"),
    event_types.EscalationHandled("e-1", {"comment": "已督办"}),
    event_types.Assign("t-1", "supervisor", None, "帮扶人停用"),
    event_types.SendBack("t-2", "rectify", "整改不到位"),
    event_types.Withdraw("t-1", "rectify"),
    event_types.Terminate("误操作"),
    event_types.Transfer("t-1", "sec_jg2", None, "出差"),
    event_types.Urge("t-1", ["sec_jg2"], "请尽快"),
    event_types.CarbonCopy(["sec_jg1"], None, "供参考"),
    event_types.Delegate("t-1", "wei_jg2", "sec_jg2", "请起草"),
    event_types.DelegateDone("t-1", "sec_jg2", {"measures": ["补齐台账"]}),
    event_types.Countersign("t-1", "s-1", "supervisor", "after", "请审核"),
    event_types.CountersignDecision("t-1", "s-1", False, "照片不全"),
    event_types.Deputized("t-1", "sec_sb"),
    event_types.ReturnToBranch("t-1", "jg1_m01", "member", "account disabled"),
    event_types.AssignedByRule("t-1", "zonghe", "helper", "assignee_field:helper"),
]


def test_each_event_reads_back_from_what_the_log_keeps():
    assert {type(e) for e in SAMPLES} == set(event_types.REGISTRY.values())
    for event in SAMPLES:
        stored = dict(event.data(), ctx={"cob": "18:00"})  # the log adds the deadline context to state events
        assert event_types.of(event.type).from_data(stored) == event


def test_only_workflow_changing_events_are_replayed():
    assert set(event_types.state_changing()) == {"start", "complete", "timer", "message", "rearm", "send_back", "withdraw",
                                                 "terminate"}


def test_every_type_in_a_real_history_is_in_the_table(api, pairing):
    history = api.get(f"/api/instances/{pairing}/history", "auditor").get_json()
    assert {e["type"] for e in history} <= set(event_types.REGISTRY)
    assert api.get(f"/api/instances/{pairing}/verify", "auditor").get_json()["ok"] is True
