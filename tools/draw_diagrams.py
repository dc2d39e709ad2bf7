"""The source of every diagram in ``bpmn/``: each process described in code, laid out by
tools/bpmn_layout.py, with the conventions stamped the same way everywhere (three boundary timers per
duty with their properties, lanes named after roles, documentation on every user task).

Run ``python tools/draw_diagrams.py`` after changing a description here and commit both;
``python tools/draw_diagrams.py --check`` exits 1 when a committed file differs from what this writes.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from service.domain.roles import ROLE_LABELS  # noqa: E402
from tools.bpmn_layout import Boundary, El, Flow, render as _render  # noqa: E402
from tools.task_docs import DOCS  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "bpmn"


#: 退回: the earlier user tasks each task's holder may send the process back to (sequential steps only:
#: a step inside a parallel split is not a place to send back to)
SEND_BACK = {
    "pairing": {"supply_tools": "diagnosis", "improvement_plan": "supply_tools"},
    "pairing_quarterly": {"interview": "assessment"},
    "resource_request": {"review_reason": "coordinate"},
    "guidance_feedback": {"acknowledge": "adjust"},
    "peer_inspection": {"check_records": "hear_report", "site_visit": "check_records",
                        "interview_members": "site_visit", "scoring": "interview_members,site_visit,check_records",
                        "feedback": "scoring"},
    "rectification": {"evidence": "rectify", "verify": "evidence,rectify"},
}


def render(process_id, *args, **kw) -> str:
    """Lay a diagram out, with every user task's documentation and where it may send the process back to."""
    for el in args[2]:
        if el.id in SEND_BACK.get(process_id, {}):
            el.props = dict(el.props, send_back_to=SEND_BACK[process_id][el.id])
    return _render(process_id, *args, docs=DOCS, **kw)


def lanes(*codes):
    return [(c, ROLE_LABELS[c]) for c in codes]


#: how a deadline rule reads on the diagram
RULE_WORDS = {"3wd": "3个工作日", "5wd": "5个工作日", "7wd": "7个工作日", "24h": "24小时",
              "lwd_week": "本周内", "lwd_month": "月末工作日", "lwd_quarter": "季末工作日"}


def duty_timers(task: str, rule: str, what: str, first: str = "supervisor",
                rule_expr: str | None = None) -> list[Boundary]:
    """Reminder, overdue + first-level escalation (supervisor by default), committee escalation on one duty task.

    Each timer's path ends in its own end event, which the layout adds below the task. ``what`` names the
    duty for readers of this file; ``rule_expr`` is an expression giving the rule at run time (a ticket's
    own date: ``"by:" + rectify_by``)."""
    arg = rule_expr or f'"{rule}"'
    words = RULE_WORDS.get(rule, rule)
    to = ROLE_LABELS[first].split("（")[0]  # 党群部, not 党群部（监督方）: a label of two lines at most
    specs = [
        ("remind", "到期前提醒", f"reminder({arg})", {"kind": "remind"}, "已提醒"),
        ("overdue", f"逾期（{words}）升级{to}", f"deadline({arg})",
         {"kind": "escalate", "level": "1", "escalate_to": first}, f"已升级{to}"),
        ("escalate2", "再逾期升级党委", f"escalation({arg})",
         {"kind": "escalate", "level": "2", "escalate_to": "committee"}, "已升级党委"),
    ]
    return [Boundary(f"{task}_{suffix}", name, task, expr, props, slot, end)
            for slot, (suffix, name, expr, props, end) in enumerate(specs)]


def pairing():
    """结对提升: the letter, the diagnosis and plan, then the term on the calendar — each term month and each
    assessed quarter opens its own child on its date (never early, never waiting on the last one's work) —
    and the acceptance when the term (or its one-month extension) ends."""
    L = lanes("supervisor", "helper", "secretary", "branch_committee")
    helper = {"assignee_field": "helper"}
    e = [
        El("start", "startEvent", "开启结对", "supervisor", 0),
        El("split_sign", "parallelGateway", "", "supervisor", 1),
        El("sign_helper", "userTask", "甲方签署责任书", "helper", 2, props=helper),
        El("sign_secretary", "userTask", "乙方签署责任书", "secretary", 2),
        El("join_sign", "parallelGateway", "", "supervisor", 3),
        El("file_letter", "userTask", "备案结对提升责任书", "supervisor", 4),
        El("diagnosis", "userTask", "提交支部标准化诊断报告", "helper", 5, props=helper),
        El("supply_tools", "userTask", "提供配套工具（3个工作日内）", "helper", 6, props=helper),
        El("gw_plan_merge", "exclusiveGateway", "", "branch_committee", 6.5),
        El("improvement_plan", "userTask", "制定个性化提升方案", "branch_committee", 7),
        El("confirm_plan", "userTask", "帮扶人确认提升方案", "helper", 7, props=helper),
        El("gw_plan_ok", "exclusiveGateway", "方案确认？", "helper", 8, default="f_plan_back"),
        El("term_setup", "scriptTask", "排定任期各月与季度", "helper", 9, script=(
            "term_last = term_last_day(term_start, months)\n"
            "quarters = assessed_quarters(term_start, months)")),
        El("gw_loop", "exclusiveGateway", "", "helper", 10),
        El("next_event", "scriptTask", "确定下一期", "helper", 11, script=(
            "next_kind = 'term_end'\n"
            "next_day = add_days(term_last, 1)\n"
            "if qi < len(quarters) and later(quarters[qi]['first'], term_start) < next_day:\n"
            "    next_kind = 'quarter'\n"
            "    next_day = later(quarters[qi]['first'], term_start)\n"
            "if month < months and month_range(term_start, month + 1)['first'] <= next_day:\n"
            "    next_kind = 'month'\n"
            "    next_day = month_range(term_start, month + 1)['first']")),
        El("wait_next", "intermediateCatchEvent", "下一期开始", "helper", 12, timer="opens_at(next_day)"),
        El("gw_kind", "exclusiveGateway", "哪一期？", "helper", 13, default="f_term_ends"),
        El("open_month", "scriptTask", "开启本月帮扶", "helper", 14, row_shift=60, script=MONTH_SCRIPT,
           props=MONTH_CHILD),
        El("open_quarter", "scriptTask", "开启本季度考核", "supervisor", 14, script=(
            "quarter = quarters[qi]['quarter']\n"
            "quarter_first = later(quarters[qi]['first'], term_start)\n"
            "quarter_last = quarters[qi]['last']\n"
            "qi = qi + 1"),
           props={"opens_process": "pairing_quarterly", "child_inputs": "helper,quarter,quarter_first,quarter_last"}),
        El("gw_accept_merge", "exclusiveGateway", "", "supervisor", 15),
        El("acceptance", "userTask", "期末验收", "supervisor", 16, props={"exclude_field": "helper"}),
        El("judge", "scriptTask", "判定验收结果", "supervisor", 17, script=(
            "accepted = (all(t['met'] for t in target_results) and handbook_practice_included\n"
            "            and survey_awareness == 100 and survey_satisfaction >= 85)\n"
            "acceptances = acceptances + [{'extended': extended, 'accepted': accepted}]")),
        El("gw_accept", "exclusiveGateway", "验收通过？", "supervisor", 18, default="f_final_fail"),
        El("qualified", "scriptTask", "记录帮扶合格", "supervisor", 19, script=(
            "outcome = 'qualified'\noutcome_label = '帮扶合格'\nsecretary_bonus = 5\nmay_apply_model_branch = True")),
        El("end_ok", "endEvent", "帮扶合格", "supervisor", 20),
        El("gw_urgent_merge", "exclusiveGateway", "", "branch_committee", 18.5),
        El("urgent_plan", "userTask", "制定加急整改方案（7个工作日内）", "branch_committee", 19),
        El("confirm_urgent", "userTask", "帮扶人确认加急整改方案", "helper", 19, row_shift=60, props=helper),
        El("gw_urgent_ok", "exclusiveGateway", "方案确认？", "helper", 20, row_shift=60, default="f_urgent_back"),
        El("extend", "scriptTask", "任期延长一个月", "branch_committee", 21,
           script="extended = True\n" + MONTH_SCRIPT.replace("month = month + 1", "month = months + 1"), props=MONTH_CHILD),
        El("ext_ends", "intermediateCatchEvent", "延长期届满", "branch_committee", 22, timer="opens_at(add_days(month_last, 1))"),
        El("final_interview", "userTask", "约谈书记并限期整改", "supervisor", 19, row_shift=170,
           props={"exclude_field": "helper", "opens_process": "rectification", "opens_each": "problems",
                  "opens_source": "acceptance", "opens_inherit": "rectify_by"}),
        El("rectify_ordered", "scriptTask", "记录限期整改", "supervisor", 20, row_shift=170, script=(
            "outcome = 'rectification_ordered'\noutcome_label = '约谈并限期整改'")),
        El("end_fail", "endEvent", "限期整改", "supervisor", 21, row_shift=170),
    ]
    f = [
        Flow("f_start", "start", "split_sign"),
        Flow("f_s1", "split_sign", "sign_helper"), Flow("f_s2", "split_sign", "sign_secretary"),
        Flow("f_s3", "sign_helper", "join_sign"), Flow("f_s4", "sign_secretary", "join_sign"),
        Flow("f_file", "join_sign", "file_letter"), Flow("f_diag", "file_letter", "diagnosis"),
        Flow("f_tools", "diagnosis", "supply_tools"), Flow("f_plan", "supply_tools", "gw_plan_merge"),
        Flow("f_plan_open", "gw_plan_merge", "improvement_plan"),
        Flow("f_plan_done", "improvement_plan", "confirm_plan"), Flow("f_plan_confirmed", "confirm_plan", "gw_plan_ok"),
        Flow("f_plan_ok", "gw_plan_ok", "term_setup", "确认", "plan_confirmed"),
        Flow("f_plan_back", "gw_plan_ok", "gw_plan_merge", "退回修改"), Flow("f_setup", "term_setup", "gw_loop"),
        Flow("f_loop", "gw_loop", "next_event"), Flow("f_wait", "next_event", "wait_next"),
        Flow("f_due", "wait_next", "gw_kind"),
        Flow("f_new_month", "gw_kind", "open_month", "新的一月", "next_kind == 'month'"),
        Flow("f_new_quarter", "gw_kind", "open_quarter", "新的季度", "next_kind == 'quarter'"),
        Flow("f_term_ends", "gw_kind", "gw_accept_merge", "任期届满"),
        Flow("f_month_opened", "open_month", "gw_loop"), Flow("f_quarter_opened", "open_quarter", "gw_loop"),
        Flow("f_accept_open", "gw_accept_merge", "acceptance"),
        Flow("f_judge", "acceptance", "judge"), Flow("f_accept", "judge", "gw_accept"),
        Flow("f_pass", "gw_accept", "qualified", "全部达标", "accepted"),
        Flow("f_extend", "gw_accept", "gw_urgent_merge", "未达标，延期一个月", "not accepted and not extended"),
        Flow("f_urgent_open", "gw_urgent_merge", "urgent_plan"),
        Flow("f_final_fail", "gw_accept", "final_interview", "延期后仍未达标"),
        Flow("f_ok_end", "qualified", "end_ok"),
        Flow("f_urgent_done", "urgent_plan", "confirm_urgent"), Flow("f_urgent_confirmed", "confirm_urgent", "gw_urgent_ok"),
        Flow("f_urgent_ok", "gw_urgent_ok", "extend", "确认", "plan_confirmed"),
        Flow("f_urgent_back", "gw_urgent_ok", "gw_urgent_merge", "退回修改"), Flow("f_extended", "extend", "ext_ends"),
        Flow("f_ext_over", "ext_ends", "gw_accept_merge"),
        Flow("f_final", "final_interview", "rectify_ordered"), Flow("f_fail_end", "rectify_ordered", "end_fail"),
    ]
    b = (duty_timers("supply_tools", "3wd", "提供配套工具") + duty_timers("acceptance", "5wd", "期末验收", first="committee")
         + duty_timers("urgent_plan", "7wd", "制定加急整改方案"))
    return render("pairing", "结对提升", L, e, f, b)


#: a term month's facts, computed where the month opens (and again for the extension month)
MONTH_SCRIPT = (
    "month = month + 1\n"
    "month_first = month_range(term_start, month)['first']\n"
    "month_last = month_range(term_start, month)['last']\n"
    "weeks = weeks_of_month(term_start, month)\n"
    "week_from = week_count\n"
    "week_count = week_count + len(weeks)")
MONTH_CHILD = {"opens_process": "pairing_monthly",
               "child_inputs": "helper,term_start,month,month_first,month_last,weeks,week_from"}


def pairing_monthly():
    """月度帮扶: one term month — the visits and the monthly report due by the month's last working day, and
    each week's spot check opening on its own date (a missed one never holds the next week back)."""
    L = lanes("helper", "secretary")
    helper = {"assignee_field": "helper"}
    e = [
        El("start", "startEvent", "本月开始", "helper", 0),
        El("split", "parallelGateway", "", "helper", 1),
        El("guidance_visits", "userTask", "记录下沉指导（每月不少于2次）", "helper", 4, props=helper),
        El("end_visits", "endEvent", "已记录下沉指导", "helper", 5),
        El("monthly_progress", "userTask", "报送月度进展", "secretary", 4),
        El("end_progress", "endEvent", "已报送", "secretary", 5),
        El("gw_week_merge", "exclusiveGateway", "", "helper", 2, row_shift=230),
        El("next_week", "scriptTask", "排定下一周", "helper", 3, row_shift=230, script=(
            "wi = wi + 1\nweek = week_from + wi\nweek_first = weeks[wi - 1]['first']\nweek_last = weeks[wi - 1]['last']")),
        El("week_opens", "intermediateCatchEvent", "本周开始", "helper", 4, row_shift=230, timer="opens_at(week_first)"),
        El("split_week", "parallelGateway", "", "helper", 5, row_shift=230),
        El("spot_check", "userTask", "每周抽查关键指标", "helper", 6, row_shift=230, props=helper),
        El("gw_behind", "exclusiveGateway", "未按计划推进？", "helper", 7, row_shift=230, default="f_on_plan"),
        El("remedial", "userTask", "24小时内与书记沟通并制定补救措施", "helper", 8, row_shift=340, props=helper),
        El("gw_checked", "exclusiveGateway", "", "helper", 9, row_shift=230),
        El("end_check", "endEvent", "本周抽查完成", "helper", 10, row_shift=230),
        El("gw_more_weeks", "exclusiveGateway", "本月还有下一周？", "helper", 6, row_shift=470, default="f_weeks_done"),
        El("end_weeks", "endEvent", "本月各周已开启", "helper", 7, row_shift=470),
    ]
    f = [
        Flow("f_start", "start", "split"),
        Flow("f_visits", "split", "guidance_visits"), Flow("f_progress", "split", "monthly_progress"),
        Flow("f_weeks", "split", "gw_week_merge"),
        Flow("f_visits_done", "guidance_visits", "end_visits"), Flow("f_progress_done", "monthly_progress", "end_progress"),
        Flow("f_week", "gw_week_merge", "next_week"), Flow("f_wait_week", "next_week", "week_opens"),
        Flow("f_week_open", "week_opens", "split_week"),
        Flow("f_check", "split_week", "spot_check"), Flow("f_next", "split_week", "gw_more_weeks"),
        Flow("f_checked", "spot_check", "gw_behind"),
        Flow("f_behind", "gw_behind", "remedial", "未按计划", "behind_plan"),
        Flow("f_on_plan", "gw_behind", "gw_checked", "按计划"),
        Flow("f_remedied", "remedial", "gw_checked"), Flow("f_check_end", "gw_checked", "end_check"),
        Flow("f_more_weeks", "gw_more_weeks", "gw_week_merge", "是", "wi < len(weeks)"),
        Flow("f_weeks_done", "gw_more_weeks", "end_weeks", "否"),
    ]
    b = (duty_timers("guidance_visits", "lwd_month", "记录本月下沉指导", rule_expr='"lwd:" + month_last')
         + duty_timers("monthly_progress", "lwd_month", "报送月度进展", rule_expr='"lwd:" + month_last')
         + duty_timers("spot_check", "lwd_week", "每周抽查", rule_expr='"lwd:" + week_last')
         + duty_timers("remedial", "24h", "与书记沟通并制定补救措施"))
    return render("pairing_monthly", "月度帮扶", L, e, f, b)


def pairing_quarterly():
    """季度考核: one assessed calendar quarter — the quiz and the helper's report due before the quarter ends,
    the assessment opening at the quarter's end whether or not they were done (a missing one has escalated
    and the supervisor sees it), and the 约谈 / plan remade that a low score brings."""
    L = lanes("supervisor", "helper", "branch_committee")
    e = [
        El("start", "startEvent", "季度开始", "supervisor", 0),
        El("split", "parallelGateway", "", "supervisor", 1),
        El("quarter_ends", "intermediateCatchEvent", "季度末", "supervisor", 2, timer="opens_at(add_days(quarter_last, 1))"),
        El("assessment", "userTask", "季度考核评分", "supervisor", 3, props={"exclude_field": "helper"}),
        El("rate", "businessRuleTask", "评定考核档次", "supervisor", 4, decision="assessment_band"),
        El("record", "scriptTask", "记录本季度考核", "supervisor", 5, script=(
            "assessment_result = {'quarter': quarter, 'score': score, 'band': band}")),
        El("gw_band", "exclusiveGateway", "考核档次", "supervisor", 6, default="f_band_low"),
        El("end_meets", "endEvent", "达标", "supervisor", 7, row_shift=-50),
        El("interview", "userTask", "约谈支部书记", "supervisor", 7, row_shift=50, props={"exclude_field": "helper"}),
        El("gw_remake", "exclusiveGateway", "需重新制定方案？", "supervisor", 8, row_shift=50, default="f_keep_plan"),
        El("end_improve", "endEvent", "待改进", "supervisor", 9, row_shift=50),
        El("helper_report", "userTask", "向监督方季度汇报", "helper", 2, props={"assignee_field": "helper"}),
        El("end_report", "endEvent", "已汇报", "helper", 3),
        El("knowledge_quiz", "userTask", "组织季度应知应会测试", "branch_committee", 2),
        El("end_quiz", "endEvent", "已测试", "branch_committee", 3),
        El("gw_remake_merge", "exclusiveGateway", "", "branch_committee", 8.5),
        El("remake_plan", "userTask", "重新制定提升方案", "branch_committee", 9),
        El("confirm_remake", "userTask", "帮扶人确认新方案", "helper", 9, props={"assignee_field": "helper"}),
        El("gw_remake_ok", "exclusiveGateway", "方案确认？", "helper", 10, default="f_remake_back"),
        El("end_remade", "endEvent", "已重新制定方案", "helper", 11),
    ]
    f = [
        Flow("f_start", "start", "split"),
        Flow("f_q1", "split", "knowledge_quiz"), Flow("f_q2", "split", "helper_report"), Flow("f_q3", "split", "quarter_ends"),
        Flow("f_quiz_done", "knowledge_quiz", "end_quiz"), Flow("f_report_done", "helper_report", "end_report"),
        Flow("f_assess", "quarter_ends", "assessment"), Flow("f_rate", "assessment", "rate"), Flow("f_record", "rate", "record"),
        Flow("f_band", "record", "gw_band"),
        Flow("f_band_meets", "gw_band", "end_meets", "≥80 达标", "band == 'meets'"),
        Flow("f_band_low", "gw_band", "interview", "<80 约谈"),
        Flow("f_interviewed", "interview", "gw_remake"),
        Flow("f_remake", "gw_remake", "gw_remake_merge", "<60 重新制定方案", "band == 'fail'"),
        Flow("f_remake_open", "gw_remake_merge", "remake_plan"),
        Flow("f_keep_plan", "gw_remake", "end_improve", "60–79 待改进"),
        Flow("f_remade", "remake_plan", "confirm_remake"), Flow("f_remake_confirmed", "confirm_remake", "gw_remake_ok"),
        Flow("f_remake_ok", "gw_remake_ok", "end_remade", "确认", "plan_confirmed"),
        Flow("f_remake_back", "gw_remake_ok", "gw_remake_merge", "退回修改"),
    ]
    b = (duty_timers("knowledge_quiz", "lwd_quarter", "组织季度测试", rule_expr='"lwd:" + quarter_last')
         + duty_timers("helper_report", "lwd_quarter", "季度汇报", rule_expr='"lwd:" + quarter_last')
         + duty_timers("assessment", "5wd", "季度考核评分", first="committee")
         + duty_timers("remake_plan", "7wd", "重新制定提升方案"))
    return render("pairing_quarterly", "季度考核", L, e, f, b)


def pairing_month():
    """The month child of pairings opened before the term ran on the calendar (they are pinned to it and still
    start it): kept so those pairings run to their end; new pairings open ``pairing_monthly``."""
    L = lanes("helper", "secretary")
    e = [
        El("start", "startEvent", "月度帮扶开始", "helper", 0),
        El("split", "parallelGateway", "", "helper", 1),
        El("guidance_visits", "userTask", "记录下沉指导（每月不少于2次）", "helper", 4, row_shift=-60),
        El("monthly_progress", "userTask", "报送月度进展", "secretary", 4),
        El("gw_week", "exclusiveGateway", "", "helper", 2, row_shift=60),
        El("next_week", "scriptTask", "进入下一周", "helper", 3, row_shift=60, script="week = week + 1"),
        El("spot_check", "userTask", "每周抽查关键指标", "helper", 4, row_shift=60),
        El("gw_behind", "exclusiveGateway", "未按计划推进？", "helper", 5, row_shift=60, default="f_on_plan"),
        El("remedial", "userTask", "24小时内与书记沟通并制定补救措施", "helper", 6, row_shift=180),
        El("gw_merge", "exclusiveGateway", "", "helper", 7, row_shift=60),
        El("gw_weeks", "exclusiveGateway", "本月还有抽查？", "helper", 8, row_shift=60, default="f_weeks_done"),
        El("join", "parallelGateway", "", "helper", 9),
        El("end", "endEvent", "月度帮扶完成", "helper", 10),
    ]
    f = [
        Flow("f_start", "start", "split"),
        Flow("f_visits", "split", "guidance_visits"), Flow("f_progress", "split", "monthly_progress"),
        Flow("f_weeks", "split", "gw_week"), Flow("f_week", "gw_week", "next_week"), Flow("f_check", "next_week", "spot_check"),
        Flow("f_checked", "spot_check", "gw_behind"),
        Flow("f_behind", "gw_behind", "remedial", "未按计划", "behind_plan"),
        Flow("f_on_plan", "gw_behind", "gw_merge", "按计划"),
        Flow("f_remedied", "remedial", "gw_merge"), Flow("f_merged", "gw_merge", "gw_weeks"),
        Flow("f_more_weeks", "gw_weeks", "gw_week", "是", "week < weeks"),
        Flow("f_weeks_done", "gw_weeks", "join", "否"),
        Flow("f_visits_done", "guidance_visits", "join"), Flow("f_progress_done", "monthly_progress", "join"),
        Flow("f_end", "join", "end"),
    ]
    return render("pairing_month", "月度帮扶", L, e, f, duty_timers("remedial", "24h", "与书记沟通并制定补救措施"))


def resource_request():
    """协调责任: a branch's resource request; the helper resolves it within 5 working days or explains why not."""
    L = lanes("secretary", "helper", "supervisor")
    e = [
        El("start", "startEvent", "提出资源需求", "secretary", 0),
        El("coordinate", "userTask", "对接相关部门协调解决（5个工作日内）", "helper", 1,
           props={"fallback_role": "supervisor"}),  # a branch without a helper: 党群部 coordinates
        El("gw_resolved", "exclusiveGateway", "已解决？", "helper", 3, default="f_unresolved"),
        El("resolved", "scriptTask", "记录已解决", "helper", 4, script="outcome = 'resolved'\noutcome_label = '已协调解决'"),
        El("end_resolved", "endEvent", "已解决", "helper", 5),
        El("review_reason", "userTask", "审阅未解决原因并协调", "supervisor", 4),
        El("explained", "scriptTask", "记录监督方意见", "supervisor", 5, script="outcome = 'explained'\noutcome_label = '已向监督方说明原因'"),
        El("end_explained", "endEvent", "已说明原因", "supervisor", 6),
    ]
    f = [
        Flow("f_start", "start", "coordinate"), Flow("f_done", "coordinate", "gw_resolved"),
        Flow("f_resolved", "gw_resolved", "resolved", "已解决", "resolved"),
        Flow("f_unresolved", "gw_resolved", "review_reason", "无法解决，说明原因"),
        Flow("f_end_resolved", "resolved", "end_resolved"),
        Flow("f_reviewed", "review_reason", "explained"), Flow("f_end_explained", "explained", "end_explained"),
    ]
    return render("resource_request", "资源需求协调", L, e, f, duty_timers("coordinate", "5wd", "协调解决资源需求"))


def guidance_feedback():
    """反馈责任: the branch reports unfit guidance; the supervisor adjusts within 5 working days."""
    L = lanes("secretary", "supervisor", "helper")
    e = [
        El("start", "startEvent", "反馈帮扶指导不适配", "secretary", 0),
        El("adjust", "userTask", "协调调整帮扶指导（5个工作日内）", "supervisor", 1),
        El("acknowledge", "userTask", "知悉并执行调整", "helper", 3),
        El("done", "scriptTask", "记录调整结果", "helper", 4, script="outcome = 'adjusted'\noutcome_label = '已协调调整'"),
        El("end", "endEvent", "已调整", "helper", 5),
    ]
    f = [Flow("f_start", "start", "adjust"), Flow("f_adjusted", "adjust", "acknowledge"),
         Flow("f_ack", "acknowledge", "done"), Flow("f_end", "done", "end")]
    # the supervisor's own duty escalates straight to the committee
    return render("guidance_feedback", "帮扶指导反馈", L, e, f,
                  duty_timers("adjust", "5wd", "协调调整帮扶指导", first="committee"))


def inspection_round():
    """A quarter's peer-inspection round: at the round's end (the quarter's last day) the supervisor compiles
    the experience handbook from the inspections; tickets still being rectified go on without it."""
    L = lanes("supervisor")
    e = [
        El("start", "startEvent", "发布互查安排", "supervisor", 0),
        El("round_end", "intermediateCatchEvent", "本轮结束（季度末）", "supervisor", 1,
           timer='deadline("by:" + round_end)'),
        El("compile_handbook", "userTask", "汇编标准化经验手册", "supervisor", 2),
        El("done", "scriptTask", "记录本轮结束", "supervisor", 3, script="outcome = 'compiled'\noutcome_label = '经验手册已汇编'"),
        El("end", "endEvent", "本轮互查结束", "supervisor", 4),
    ]
    f = [
        Flow("f_start", "start", "round_end"), Flow("f_compile", "round_end", "compile_handbook"),
        Flow("f_compiled", "compile_handbook", "done"), Flow("f_end", "done", "end"),
    ]
    return render("inspection_round", "互查互学互促（季度轮次）", L, e, f)


def peer_inspection():
    """One team inspecting one branch: 听汇报 → 查资料 → 看现场 → 访党员 → 评分表 → 现场反馈 → 回头看."""
    L = lanes("inspector")
    e = [
        El("start", "startEvent", "互查开始", "inspector", 0),
        El("hear_report", "userTask", "听汇报", "inspector", 1),
        El("check_records", "userTask", "查资料", "inspector", 2),
        El("site_visit", "userTask", "看现场", "inspector", 3),
        El("interview_members", "userTask", "访党员", "inspector", 4),
        El("scoring", "userTask", "填写互查评分表", "inspector", 5),
        El("score", "scriptTask", "计算互查得分", "inspector", 6,
           script="score_pct = checklist_score(scores, checklist['items'])"),
        El("feedback", "userTask", "现场反馈（优点、问题、整改建议、整改时限）", "inspector", 7,
           props={"opens_process": "rectification", "opens_each": "problems", "opens_source": "inspection",
                  "opens_inherit": "rectify_by"}),
        El("gw_problems", "exclusiveGateway", "有问题需整改？", "inspector", 8, default="f_no_problems"),
        El("rectify_period", "intermediateCatchEvent", "等待整改时限届满", "inspector", 9,
           timer='deadline("by:" + rectify_by)'),
        El("gw_recheck", "exclusiveGateway", "", "inspector", 10),
        El("recheck", "userTask", "回头看", "inspector", 11, props={"gate": "children_closed", "gate_field": "passed"}),
        El("gw_passed", "exclusiveGateway", "整改到位？", "inspector", 12, default="f_not_passed"),
        El("recheck_later", "intermediateCatchEvent", "5个工作日后再次回头看", "inspector", 12, row_shift=100,
           timer='deadline("5wd")'),
        El("passed", "scriptTask", "记录整改到位", "inspector", 13,
           script="outcome = 'rectified'\noutcome_label = '问题整改到位'"),
        El("clean", "scriptTask", "记录无问题", "inspector", 9, row_shift=-120,
           script="outcome = 'no_problems'\noutcome_label = '未发现问题'"),
        El("gw_end", "exclusiveGateway", "", "inspector", 14),
        El("end", "endEvent", "互查结束", "inspector", 15),
    ]
    f = [
        Flow("f_start", "start", "hear_report"), Flow("f_records", "hear_report", "check_records"),
        Flow("f_site", "check_records", "site_visit"), Flow("f_members", "site_visit", "interview_members"),
        Flow("f_sheet", "interview_members", "scoring"), Flow("f_score", "scoring", "score"),
        Flow("f_feedback", "score", "feedback"), Flow("f_fed", "feedback", "gw_problems"),
        Flow("f_problems", "gw_problems", "rectify_period", "有问题", "len(problems) > 0"),
        Flow("f_no_problems", "gw_problems", "clean", "无问题"),
        Flow("f_due", "rectify_period", "gw_recheck"), Flow("f_recheck", "gw_recheck", "recheck"), Flow("f_rechecked", "recheck", "gw_passed"),
        Flow("f_passed", "gw_passed", "passed", "整改到位", "passed"),
        Flow("f_not_passed", "gw_passed", "recheck_later", "未到位"),
        Flow("f_again", "recheck_later", "gw_recheck"),
        Flow("f_end", "passed", "gw_end"), Flow("f_clean_end", "clean", "gw_end"), Flow("f_ended", "gw_end", "end"),
    ]
    return render("peer_inspection", "支部互查", L, e, f)


def rectification():
    """One problem, one ticket (问题清单销号制): plan in 7 working days → rectify → evidence → verify → 销号."""
    L = lanes("secretary", "supervisor")
    e = [
        El("start", "startEvent", "问题登记", "secretary", 0),
        El("plan", "userTask", "制定整改方案（7个工作日内）", "secretary", 1),
        El("gw_rectify", "exclusiveGateway", "", "secretary", 2),
        El("rectify", "userTask", "落实整改", "secretary", 3),
        El("evidence", "userTask", "提交整改佐证材料", "secretary", 4),
        El("verify", "userTask", "核验整改结果", "supervisor", 5),
        El("gw_verdict", "exclusiveGateway", "核验通过？", "supervisor", 6, default="f_sent_back"),
        El("closed", "scriptTask", "销号", "supervisor", 7, script="outcome = 'closed'\noutcome_label = '已销号'"),
        El("end", "endEvent", "已销号", "supervisor", 8),
        El("sent_back", "scriptTask", "退回重新整改", "supervisor", 6, row_shift=120,
           script="sent_back_count = sent_back_count + 1"),
    ]
    f = [
        Flow("f_start", "start", "plan"), Flow("f_planned", "plan", "gw_rectify"), Flow("f_rectify", "gw_rectify", "rectify"),
        Flow("f_rectified", "rectify", "evidence"), Flow("f_evidence", "evidence", "verify"),
        Flow("f_verified", "verify", "gw_verdict"),
        Flow("f_closed", "gw_verdict", "closed", "通过，销号", "verdict == 'closed'"),
        Flow("f_sent_back", "gw_verdict", "sent_back", "退回"),
        Flow("f_again", "sent_back", "gw_rectify"), Flow("f_end", "closed", "end"),
    ]
    b = duty_timers("plan", "7wd", "制定整改方案") + duty_timers("rectify", "整改时限", "落实整改", rule_expr='"by:" + rectify_by')
    return render("rectification", "整改销号", L, e, f, b)


def plaque_rating():
    """A branch's quarterly plaque (亮牌) and its consequences. The weights and the bands are decision tables
    (dmn/plaque_weights.dmn, dmn/plaque_band.dmn) pinned with the bundle."""
    L = lanes("supervisor", "secretary", "committee")
    e = [
        El("start", "startEvent", "季度亮牌评定", "supervisor", 0),
        El("weights", "businessRuleTask", "读取综合得分权重", "supervisor", 1, decision="plaque_weights"),
        El("composite", "scriptTask", "计算综合得分（不先取整）", "supervisor", 2, script=(
            "composite = weighted_score([star, inspection, pairing], "
            "[weight_star, weight_inspection, weight_pairing])")),
        El("band", "businessRuleTask", "按综合得分定牌", "supervisor", 3, decision="plaque_band"),
        El("rate", "scriptTask", "记录牌级与连续季度", "supervisor", 4, script=(
            "final_plaque = 'striving' if striving_carried else plaque\n"
            "streak = previous_streak + 1 if final_plaque == previous_plaque else 1\n"
            "awards_withdrawn = final_plaque == 'striving'\n"
            "recommended_advanced = final_plaque == 'model'\n"
            "model_streak = final_plaque == 'model' and streak >= 2\n"
            "secretary_bonus = 5 if model_streak and not bonus_granted_this_year else 0")),
        El("gw_plaque", "exclusiveGateway", "牌级", "supervisor", 5, default="f_standard"),
        El("model", "scriptTask", "记录示范牌（优先推荐参评先进基层党组织）", "supervisor", 6, row_shift=-60,
           script="outcome = 'model'\noutcome_label = '示范牌'"),
        El("standard", "scriptTask", "记录达标牌", "supervisor", 6, row_shift=60,
           script="outcome = 'standard'\noutcome_label = '达标牌'"),
        El("self_criticism", "userTask", "向党委作书面检讨（5个工作日内）", "secretary", 6),
        El("review_criticism", "userTask", "党委审阅书面检讨", "committee", 7),
        El("gw_second", "exclusiveGateway", "连续两个季度争先牌？", "committee", 8, default="f_first_time"),
        El("committee_interview", "userTask", "约谈党支部书记", "committee", 9, row_shift=60),
        El("gw_merge", "exclusiveGateway", "", "supervisor", 10),
        El("rerate", "userTask", "整改后复评", "supervisor", 11,
           props={"gate": "branch_tickets_closed", "gate_field": "rectified"}),
        El("gw_rerated", "exclusiveGateway", "整改到位？", "supervisor", 12, default="f_extend"),
        El("to_standard", "scriptTask", "更换为达标牌", "supervisor", 13, row_shift=-60,
           script="final_plaque = 'standard'\noutcome = 'rerated_standard'\noutcome_label = '整改后更换为达标牌'"),
        El("extend", "scriptTask", "延长争先期限（带入下季度）", "supervisor", 13, row_shift=60,
           script="striving_extended = True\noutcome = 'striving_extended'\noutcome_label = '争先期限延长'"),
        El("gw_end", "exclusiveGateway", "", "supervisor", 14),
        El("end", "endEvent", "评定结束", "supervisor", 15),
    ]
    f = [
        Flow("f_start", "start", "weights"), Flow("f_weighted", "weights", "composite"),
        Flow("f_composed", "composite", "band"), Flow("f_banded", "band", "rate"), Flow("f_rated", "rate", "gw_plaque"),
        Flow("f_model", "gw_plaque", "model", "≥90 示范牌", "final_plaque == 'model'"),
        Flow("f_striving", "gw_plaque", "self_criticism", "<70 争先牌", "plaque == 'striving'"),
        Flow("f_carried", "gw_plaque", "gw_merge", "争先期限延长中", "striving_carried and plaque != 'striving'", via="over"),
        Flow("f_standard", "gw_plaque", "standard", "70–89.99 达标牌"),
        Flow("f_written", "self_criticism", "review_criticism"), Flow("f_reviewed", "review_criticism", "gw_second"),
        Flow("f_second", "gw_second", "committee_interview", "连续两个季度", "streak >= 2"),
        Flow("f_first_time", "gw_second", "gw_merge", "首次"),
        Flow("f_interviewed", "committee_interview", "gw_merge"), Flow("f_rerate", "gw_merge", "rerate"),
        Flow("f_rerated", "rerate", "gw_rerated"),
        Flow("f_to_standard", "gw_rerated", "to_standard", "整改到位", "rectified"),
        Flow("f_extend", "gw_rerated", "extend", "未整改到位"),
        Flow("f_model_end", "model", "gw_end"), Flow("f_standard_end", "standard", "gw_end"),
        Flow("f_std_end", "to_standard", "gw_end"), Flow("f_ext_end", "extend", "gw_end"),
        Flow("f_ended", "gw_end", "end"),
    ]
    b = duty_timers("self_criticism", "5wd", "向党委作书面检讨")
    return render("plaque_rating", "季度亮牌", L, e, f, b)


def personal(field: str) -> dict:
    """A user task for one named person: the account in ``field`` of the task data (``assignee_field``)."""
    return {"assignee_field": field}


def duty_quarter():
    """党员标准化责任认领（季度）: the branch publishes the post list at the 党员大会, every member claims (one
    ``duty_claim`` child each), the committee publishes the approved claims (公示) and settles objections."""
    L = lanes("secretary", "branch_committee")
    e = [
        El("start", "startEvent", "季度责任认领开始", "secretary", 0),
        El("publish_posts", "userTask", "党员大会公布《党员岗位责任清单》", "secretary", 1,
           props={"opens_process": "duty_claim", "opens_each": "members", "opens_source": "duty_quarter",
                  "opens_inherit": "quarter,posts,claim_by"}),
        El("publicize", "userTask", "审核完毕，公示认领结果", "branch_committee", 2,
           props={"gate": "children_closed", "gate_field": "claims_reviewed"}),
        El("publicity", "intermediateCatchEvent", "公示期满", "branch_committee", 3,
           timer='deadline("by:" + publicity_until)'),
        El("resolve_objections", "userTask", "处理公示期间的异议", "branch_committee", 4),
        El("done", "scriptTask", "记录认领完成", "branch_committee", 5,
           script="outcome = 'published'\noutcome_label = '认领结果已公示'"),
        El("end", "endEvent", "本季度认领完成", "branch_committee", 6),
    ]
    f = [
        Flow("f_start", "start", "publish_posts"), Flow("f_published", "publish_posts", "publicize"),
        Flow("f_publicized", "publicize", "publicity"), Flow("f_over", "publicity", "resolve_objections"),
        Flow("f_resolved", "resolve_objections", "done"), Flow("f_end", "done", "end"),
    ]
    b = duty_timers("publish_posts", "5wd", "公布岗位责任清单")
    return render("duty_quarter", "党员责任认领（季度）", L, e, f, b)


def duty_claim():
    """One member's 《党员责任认领表》: the member fills it (a personal task), the branch committee approves it
    or sends it back with a reason."""
    L = lanes("member", "branch_committee")
    e = [
        El("start", "startEvent", "发放认领表", "member", 0),
        El("gw_fill", "exclusiveGateway", "", "member", 1),
        El("fill_claim", "userTask", "填写《党员责任认领表》", "member", 2, props=personal("member")),
        El("review_claim", "userTask", "支委会审核认领", "branch_committee", 3),
        El("gw_review", "exclusiveGateway", "审核通过？", "branch_committee", 4, default="f_back"),
        El("approved", "scriptTask", "记录认领通过", "branch_committee", 5,
           script="outcome = 'approved'\noutcome_label = '认领已通过'"),
        El("end", "endEvent", "认领通过", "branch_committee", 6),
        El("sent_back", "scriptTask", "退回修改", "member", 4, row_shift=-20,
           script="sent_back_count = sent_back_count + 1"),
    ]
    f = [
        Flow("f_start", "start", "gw_fill"), Flow("f_fill", "gw_fill", "fill_claim"),
        Flow("f_filled", "fill_claim", "review_claim"), Flow("f_reviewed", "review_claim", "gw_review"),
        Flow("f_ok", "gw_review", "approved", "通过", "approved"),
        Flow("f_back", "gw_review", "sent_back", "退回修改"),
        Flow("f_again", "sent_back", "gw_fill"), Flow("f_end", "approved", "end"),
    ]
    b = duty_timers("fill_claim", "认领截止", "填写认领表", first="secretary", rule_expr='"by:" + claim_by')
    return render("duty_claim", "党员责任认领表", L, e, f, b)


def duty_check():
    """《党员履职台账》分片跟踪: a committee member checks the members of their area — each 基础岗 weekly, each
    攻坚岗/服务岗 monthly — by the period's last working day."""
    L = lanes("branch_committee")
    e = [
        El("start", "startEvent", "核查期开始", "branch_committee", 0),
        El("check_duties", "userTask", "核查分片党员履职并记入台账", "branch_committee", 1, props=personal("checker")),
        El("done", "scriptTask", "记录核查完成", "branch_committee", 2,
           script="outcome = 'checked'\noutcome_label = '已核查'"),
        El("end", "endEvent", "核查完成", "branch_committee", 3),
    ]
    f = [Flow("f_start", "start", "check_duties"), Flow("f_checked", "check_duties", "done"), Flow("f_end", "done", "end")]
    b = duty_timers("check_duties", "核查截止", "核查履职", first="secretary", rule_expr='"by:" + due')
    return render("duty_check", "履职核查", L, e, f, b)


def group_meeting():
    """A party group's monthly 党小组会: the leader agrees the agenda with the branch, notifies the members,
    holds it (attendance, minutes, 晒履职, 思想汇报) and files it by the month's last working day."""
    L = lanes("member", "secretary")
    e = [
        El("start", "startEvent", "本月党小组会", "member", 0),
        El("gw_agenda", "exclusiveGateway", "", "member", 1),
        El("propose_agenda", "userTask", "拟定会议议程", "member", 2, props=personal("leader")),
        El("agree_agenda", "userTask", "支部确认议程", "secretary", 3),
        El("gw_agreed", "exclusiveGateway", "同意？", "secretary", 4, default="f_revise"),
        El("hold_meeting", "userTask", "通知党员、召开并记录党小组会", "member", 5, props=personal("leader")),
        El("done", "scriptTask", "记录会议归档", "member", 6, script="outcome = 'filed'\noutcome_label = '会议记录已归档'"),
        El("end", "endEvent", "党小组会已归档", "member", 7),
        El("revise", "scriptTask", "退回修改议程", "member", 3, row_shift=-70, script="agenda_revisions = agenda_revisions + 1"),
    ]
    f = [
        Flow("f_start", "start", "gw_agenda"), Flow("f_propose", "gw_agenda", "propose_agenda"),
        Flow("f_proposed", "propose_agenda", "agree_agenda"), Flow("f_agreed", "agree_agenda", "gw_agreed"),
        Flow("f_hold", "gw_agreed", "hold_meeting", "同意", "agenda_approved"),
        Flow("f_revise", "gw_agreed", "revise", "修改"), Flow("f_again", "revise", "gw_agenda"),
        Flow("f_held", "hold_meeting", "done"), Flow("f_end", "done", "end"),
    ]
    b = duty_timers("hold_meeting", "月末", "召开党小组会", first="secretary", rule_expr='"by:" + due')
    return render("group_meeting", "党小组会（月度）", L, e, f, b)


def duty_score():
    """A branch's monthly duty scores: the committee scores every member out of 100 from the ledger, the
    masses' feedback and the checks; the decision table (dmn/member_score_band.dmn) bands each score, one
    member at a time (a sequential multi-instance business rule task); the secretary publishes them (公示栏) and they enter
    the members' points (积分制)."""
    L = lanes("branch_committee", "secretary")
    e = [
        El("start", "startEvent", "月度履职评分", "branch_committee", 0),
        El("score_members", "userTask", "对照台账、群众反馈和核查打分", "branch_committee", 1),
        El("collect", "scriptTask", "汇总每名党员得分", "branch_committee", 2,
           script="member_scores = [item['score'] for item in scores]"),
        El("band", "businessRuleTask", "逐人评定履职等次", "branch_committee", 3, decision="member_score_band",
           each=("member_scores", "member_score", "member_bands", "duty_band")),
        El("scored", "scriptTask", "形成考评结果", "branch_committee", 4, script="scored = duty_scored(scores, member_bands)"),
        El("publish_scores", "userTask", "在公示栏公开考评结果", "secretary", 5, props={"points_from": "scored"}),
        El("done", "scriptTask", "记录已公示并计入积分", "secretary", 6,
           script="outcome = 'published'\noutcome_label = '考评结果已公示'"),
        El("end", "endEvent", "评分已公示", "secretary", 7),
    ]
    f = [Flow("f_start", "start", "score_members"), Flow("f_scored", "score_members", "collect"),
         Flow("f_collected", "collect", "band"), Flow("f_banded", "band", "scored"),
         Flow("f_results", "scored", "publish_scores"), Flow("f_published", "publish_scores", "done"),
         Flow("f_end", "done", "end")]
    b = duty_timers("score_members", "月末", "月度打分", first="secretary", rule_expr='"by:" + due')
    return render("duty_score", "党员月度履职评分", L, e, f, b)


DIAGRAMS = {"pairing": pairing, "pairing_monthly": pairing_monthly, "pairing_quarterly": pairing_quarterly,
            "pairing_month": pairing_month, "resource_request": resource_request,
            "guidance_feedback": guidance_feedback, "inspection_round": inspection_round,
            "peer_inspection": peer_inspection, "rectification": rectification, "plaque_rating": plaque_rating,
            "duty_quarter": duty_quarter, "duty_claim": duty_claim, "duty_check": duty_check,
            "group_meeting": group_meeting, "duty_score": duty_score}

def stale() -> list[str]:
    """Diagrams whose committed file differs from what the description here generates."""
    return [name for name, draw in DIAGRAMS.items()
            if (OUT / f"{name}.bpmn").read_text(encoding="utf-8") != draw()]


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        differ = stale()
        print("\n".join(f"bpmn/{n}.bpmn differs from tools/draw_diagrams.py" for n in differ) or "all diagrams current")
        sys.exit(1 if differ else 0)
    for name in sys.argv[1:] or DIAGRAMS:
        (OUT / f"{name}.bpmn").write_text(DIAGRAMS[name](), encoding="utf-8")
        print(f"wrote bpmn/{name}.bpmn")
