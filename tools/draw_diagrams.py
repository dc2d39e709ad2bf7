"""Dev tool: (re)draw the branchflow diagrams into ../bpmn with tools/bpmn_layout.py.

Run ``python tools/draw_diagrams.py`` after changing a description here; commit both.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from service.domain.roles import ROLE_LABELS  # noqa: E402
from tools.bpmn_layout import Boundary, El, Flow, render  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "bpmn"


def lanes(*codes):
    return [(c, ROLE_LABELS[c]) for c in codes]


def duty_timers(task: str, rule: str, what: str, first: str = "supervisor") -> tuple[list[Boundary], list[El], list[Flow]]:
    """Reminder, overdue + first-level escalation (supervisor by default), committee escalation on one duty task."""
    specs = [
        ("remind", "到期前提醒", f'reminder("{rule}")', {"kind": "remind"}),
        ("overdue", f"逾期（{rule}）升级{ROLE_LABELS[first]}", f'deadline("{rule}")', {"kind": "escalate", "level": "1", "escalate_to": first}),
        ("escalate2", "再逾期升级党委", f'escalation("{rule}")', {"kind": "escalate", "level": "2", "escalate_to": "committee"}),
    ]
    bounds, ends, flows = [], [], []
    for slot, (suffix, name, expr, props) in enumerate(specs):
        bid = f"{task}_{suffix}"
        props = dict(props, duty=what)
        bounds.append(Boundary(bid, name, task, expr, props, slot))
        ends.append(None)
        flows.append(Flow(f"f_{bid}", bid, f"{bid}_end"))
    return bounds, [], flows


def with_timer_ends(els, bounds, lane_of, col_of, row):
    for b in bounds:
        els.append(El(f"{b.id}_end", "endEvent", {"remind": "已提醒", "overdue": "已升级", "escalate2": "已升级"}[b.id.rsplit("_", 1)[1]],
                      lane_of, col_of + 0.3 + 0.35 * b.slot, row_shift=row + 25 * b.slot))


def pairing():
    L = lanes("supervisor", "helper", "secretary", "branch_committee")
    e = [
        El("start", "startEvent", "开启结对", "supervisor", 0),
        El("split_sign", "parallelGateway", "", "supervisor", 1),
        El("sign_helper", "userTask", "甲方签署责任书", "helper", 2),
        El("sign_secretary", "userTask", "乙方签署责任书", "secretary", 2),
        El("join_sign", "parallelGateway", "", "supervisor", 3),
        El("file_letter", "userTask", "备案结对提升责任书", "supervisor", 4),
        El("diagnosis", "userTask", "提交支部标准化诊断报告", "helper", 5),
        El("supply_tools", "userTask", "提供配套工具（3个工作日内）", "helper", 6),
        El("improvement_plan", "userTask", "制定个性化提升方案", "branch_committee", 7),
        El("gw_term", "exclusiveGateway", "任期未满？", "helper", 8, default="f_term_done"),
        El("next_month", "scriptTask", "进入下一个月", "helper", 9, script="month = month + 1\nquarter = (month + 2) // 3"),
        El("month_work", "intermediateCatchEvent", "月度帮扶完成", "helper", 10, props={"child_process": "pairing_month", "child_inputs": "branch,helper,month,quarter"}, message="pairing_month_done"),
        El("gw_quarter", "exclusiveGateway", "季度末？", "helper", 11, default="f_not_quarter_end"),
        El("split_q", "parallelGateway", "", "supervisor", 12),
        El("knowledge_quiz", "userTask", "组织季度应知应会测试", "branch_committee", 13),
        El("helper_report", "userTask", "向监督方季度汇报", "helper", 13),
        El("join_q", "parallelGateway", "", "supervisor", 14),
        El("assessment", "userTask", "季度考核评分", "supervisor", 15),
        El("rate", "scriptTask", "评定考核档次", "supervisor", 16, script=(
            "band = assessment_band(score)\n"
            "fails_in_row = fails_in_row + 1 if band == 'fail' else 0\n"
            "helper_not_excellent = helper_not_excellent or fails_in_row >= 2\n"
            "assessments = assessments + [{'quarter': quarter, 'score': score, 'band': band}]")),
        El("gw_band", "exclusiveGateway", "考核档次", "supervisor", 17, default="f_band_low"),
        El("interview", "userTask", "约谈支部书记", "supervisor", 18, row_shift=0),
        El("gw_remake", "exclusiveGateway", "需重新制定方案？", "supervisor", 19, default="f_keep_plan"),
        El("acceptance", "userTask", "期末验收", "supervisor", 20),
        El("judge", "scriptTask", "判定验收结果", "supervisor", 21, script=(
            "accepted = all(t['met'] for t in target_results)\n"
            "acceptances = acceptances + [{'extended': extended, 'accepted': accepted}]")),
        El("gw_accept", "exclusiveGateway", "验收通过？", "supervisor", 22, default="f_final_fail"),
        El("qualified", "scriptTask", "记录帮扶合格", "supervisor", 23, script=(
            "outcome = 'qualified'\noutcome_label = '帮扶合格'\nsecretary_bonus = 5\nmay_apply_model_branch = True")),
        El("end_ok", "endEvent", "帮扶合格", "supervisor", 24),
        El("urgent_plan", "userTask", "制定加急整改方案（7个工作日内）", "branch_committee", 23),
        El("extend", "scriptTask", "任期延长一个月", "branch_committee", 24, script="extended = True\nmonths = months + 1"),
        El("final_interview", "userTask", "约谈书记并限期整改", "supervisor", 23, row_shift=55),
        El("rectify_ordered", "scriptTask", "记录限期整改", "supervisor", 24, row_shift=55, script=(
            "outcome = 'rectification_ordered'\noutcome_label = '约谈并限期整改'")),
        El("end_fail", "endEvent", "限期整改", "supervisor", 25, row_shift=55),
    ]
    f = [
        Flow("f_start", "start", "split_sign"),
        Flow("f_s1", "split_sign", "sign_helper"), Flow("f_s2", "split_sign", "sign_secretary"),
        Flow("f_s3", "sign_helper", "join_sign"), Flow("f_s4", "sign_secretary", "join_sign"),
        Flow("f_file", "join_sign", "file_letter"), Flow("f_diag", "file_letter", "diagnosis"),
        Flow("f_tools", "diagnosis", "supply_tools"), Flow("f_plan", "supply_tools", "improvement_plan"),
        Flow("f_plan_done", "improvement_plan", "gw_term"),
        Flow("f_term_more", "gw_term", "next_month", "任期内", "month < months"),
        Flow("f_term_done", "gw_term", "acceptance", "任期届满"),
        Flow("f_month", "next_month", "month_work"), Flow("f_month_done", "month_work", "gw_quarter"),
        Flow("f_quarter_end", "gw_quarter", "split_q", "季度末", "not extended and (month % 3 == 0 or month >= months)"),
        Flow("f_not_quarter_end", "gw_quarter", "gw_term", "否"),
        Flow("f_q1", "split_q", "knowledge_quiz"), Flow("f_q2", "split_q", "helper_report"),
        Flow("f_q3", "knowledge_quiz", "join_q"), Flow("f_q4", "helper_report", "join_q"),
        Flow("f_assess", "join_q", "assessment"), Flow("f_rate", "assessment", "rate"), Flow("f_band", "rate", "gw_band"),
        Flow("f_band_meets", "gw_band", "gw_term", "≥80 达标", "band == 'meets'"),
        Flow("f_band_low", "gw_band", "interview", "<80 约谈"),
        Flow("f_interviewed", "interview", "gw_remake"),
        Flow("f_remake", "gw_remake", "improvement_plan", "<60 重新制定方案", "band == 'fail'"),
        Flow("f_keep_plan", "gw_remake", "gw_term", "60–79 待改进"),
        Flow("f_judge", "acceptance", "judge"), Flow("f_accept", "judge", "gw_accept"),
        Flow("f_pass", "gw_accept", "qualified", "全部达标", "accepted"),
        Flow("f_extend", "gw_accept", "urgent_plan", "未达标，延期一个月", "not accepted and not extended"),
        Flow("f_final_fail", "gw_accept", "final_interview", "延期后仍未达标"),
        Flow("f_ok_end", "qualified", "end_ok"),
        Flow("f_urgent_done", "urgent_plan", "extend"), Flow("f_extended", "extend", "gw_term"),
        Flow("f_final", "final_interview", "rectify_ordered"), Flow("f_fail_end", "rectify_ordered", "end_fail"),
    ]
    b1, _, f1 = duty_timers("supply_tools", "3wd", "提供配套工具")
    b2, _, f2 = duty_timers("urgent_plan", "7wd", "制定加急整改方案")
    with_timer_ends(e, b1, "helper", 6, 95)
    with_timer_ends(e, b2, "branch_committee", 23, 95)
    return render("pairing", "结对提升", L, e, f + f1 + f2, b1 + b2, ["pairing_month_done"])


def pairing_month():
    L = lanes("helper", "secretary")
    e = [
        El("start", "startEvent", "月度帮扶开始", "helper", 0),
        El("split", "parallelGateway", "", "helper", 1),
        El("guidance_visits", "userTask", "记录下沉指导（每月不少于2次）", "helper", 3, row_shift=-45),
        El("monthly_progress", "userTask", "报送月度进展", "secretary", 3),
        El("next_week", "scriptTask", "进入下一周", "helper", 2, row_shift=45, script="week = week + 1"),
        El("spot_check", "userTask", "每周抽查关键指标", "helper", 3, row_shift=45),
        El("gw_behind", "exclusiveGateway", "未按计划推进？", "helper", 4, row_shift=45, default="f_on_plan"),
        El("remedial", "userTask", "24小时内与书记沟通并制定补救措施", "helper", 5, row_shift=45),
        El("gw_merge", "exclusiveGateway", "", "helper", 6, row_shift=45),
        El("gw_weeks", "exclusiveGateway", "本月还有抽查？", "helper", 7, row_shift=45, default="f_weeks_done"),
        El("join", "parallelGateway", "", "helper", 8),
        El("end", "endEvent", "月度帮扶完成", "helper", 9),
    ]
    f = [
        Flow("f_start", "start", "split"),
        Flow("f_visits", "split", "guidance_visits"), Flow("f_progress", "split", "monthly_progress"),
        Flow("f_weeks", "split", "next_week"), Flow("f_check", "next_week", "spot_check"),
        Flow("f_checked", "spot_check", "gw_behind"),
        Flow("f_behind", "gw_behind", "remedial", "未按计划", "behind_plan"),
        Flow("f_on_plan", "gw_behind", "gw_merge", "按计划"),
        Flow("f_remedied", "remedial", "gw_merge"), Flow("f_merged", "gw_merge", "gw_weeks"),
        Flow("f_more_weeks", "gw_weeks", "next_week", "是", "week < weeks"),
        Flow("f_weeks_done", "gw_weeks", "join", "否"),
        Flow("f_visits_done", "guidance_visits", "join"), Flow("f_progress_done", "monthly_progress", "join"),
        Flow("f_end", "join", "end"),
    ]
    b, _, fb = duty_timers("remedial", "24h", "与书记沟通并制定补救措施")
    with_timer_ends(e, b, "helper", 5, 140)
    return render("pairing_month", "月度帮扶", L, e, f + fb, b)


def resource_request():
    """协调责任: a branch's resource request; the helper resolves it within 5 working days or explains why not."""
    L = lanes("secretary", "helper", "supervisor")
    e = [
        El("start", "startEvent", "提出资源需求", "secretary", 0),
        El("coordinate", "userTask", "对接相关部门协调解决（5个工作日内）", "helper", 1),
        El("gw_resolved", "exclusiveGateway", "已解决？", "helper", 2, default="f_unresolved"),
        El("resolved", "scriptTask", "记录已解决", "helper", 3, script="outcome = 'resolved'\noutcome_label = '已协调解决'"),
        El("end_resolved", "endEvent", "已解决", "helper", 4),
        El("review_reason", "userTask", "审阅未解决原因并协调", "supervisor", 3),
        El("explained", "scriptTask", "记录监督方意见", "supervisor", 4, script="outcome = 'explained'\noutcome_label = '已向监督方说明原因'"),
        El("end_explained", "endEvent", "已说明原因", "supervisor", 5),
    ]
    f = [
        Flow("f_start", "start", "coordinate"), Flow("f_done", "coordinate", "gw_resolved"),
        Flow("f_resolved", "gw_resolved", "resolved", "已解决", "resolved"),
        Flow("f_unresolved", "gw_resolved", "review_reason", "无法解决，说明原因"),
        Flow("f_end_resolved", "resolved", "end_resolved"),
        Flow("f_reviewed", "review_reason", "explained"), Flow("f_end_explained", "explained", "end_explained"),
    ]
    b, _, fb = duty_timers("coordinate", "5wd", "协调解决资源需求")
    with_timer_ends(e, b, "helper", 1, 95)
    return render("resource_request", "资源需求协调", L, e, f + fb, b)


def guidance_feedback():
    """反馈责任: the branch reports unfit guidance; the supervisor adjusts within 5 working days."""
    L = lanes("secretary", "supervisor", "helper")
    e = [
        El("start", "startEvent", "反馈帮扶指导不适配", "secretary", 0),
        El("adjust", "userTask", "协调调整帮扶指导（5个工作日内）", "supervisor", 1),
        El("acknowledge", "userTask", "知悉并执行调整", "helper", 2),
        El("done", "scriptTask", "记录调整结果", "helper", 3, script="outcome = 'adjusted'\noutcome_label = '已协调调整'"),
        El("end", "endEvent", "已调整", "helper", 4),
    ]
    f = [Flow("f_start", "start", "adjust"), Flow("f_adjusted", "adjust", "acknowledge"),
         Flow("f_ack", "acknowledge", "done"), Flow("f_end", "done", "end")]
    # the supervisor's own duty escalates straight to the committee
    b, _, fb = duty_timers("adjust", "5wd", "协调调整帮扶指导", first="committee")
    with_timer_ends(e, b, "supervisor", 1, 95)
    return render("guidance_feedback", "帮扶指导反馈", L, e, f + fb, b)


DIAGRAMS = {"pairing": pairing, "pairing_month": pairing_month, "resource_request": resource_request,
            "guidance_feedback": guidance_feedback}

if __name__ == "__main__":
    for name in sys.argv[1:] or DIAGRAMS:
        (OUT / f"{name}.bpmn").write_text(DIAGRAMS[name](), encoding="utf-8")
        print(f"wrote bpmn/{name}.bpmn")
