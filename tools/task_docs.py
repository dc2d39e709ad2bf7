"""What each user task asks of its holder, in the words of the program: written into the diagrams as
``<bpmn:documentation>`` (bpmn.io shows it; the task page shows it as the step's instructions)."""

DOCS = {
    # pairing (结对提升)
    "sign_helper": "帮扶人（甲方）确认结对提升责任书的目标、期限与职责后签署。",
    "sign_secretary": "支部书记（乙方）确认结对提升责任书的目标、期限与配合责任后签署。",
    "file_letter": "党群部将双方签署的责任书登记备案，填写备案编号。",
    "diagnosis": "帮扶人通过看资料、访党员、问群众开展诊断，提交支部标准化诊断报告，指出1—2项核心短板。",
    "supply_tools": "针对诊断出的短板，帮扶人在3个工作日内提供配套工具（模板、清单、范例等）。",
    "improvement_plan": "支部班子与帮扶人共同制定个性化提升方案：每项措施写明责任人和完成时限。",
    "knowledge_quiz": "支部每季度组织一次应知应会测试，登记参加人数与平均成绩。",
    "helper_report": "帮扶人每季度向监督方（党群部）书面汇报帮扶进展、问题与下步打算。",
    "assessment": "党群部在季度末对照责任书查资料、访党员、核数据，给出0—100分的考核评分。",
    "interview": "季度考核未达标（低于80分）：党群部约谈支部书记，记录约谈要点与整改要求。",
    "acceptance": "责任期结束后，党群部逐项对照责任书目标验收，判定是否帮扶合格。",
    "urgent_plan": "验收未通过：甲乙双方在7个工作日内共同制定加急整改方案，责任期延长一个月。",
    "final_interview": "延期后仍未通过验收：党群部约谈支部书记并限期整改。",
    # pairing_month (月度帮扶)
    "guidance_visits": "帮扶人记录本月下沉指导：每月不少于2次，写明日期、内容和参加人员。",
    "monthly_progress": "支部书记报送本月提升方案落实进展与存在问题。",
    "spot_check": "帮扶人每周抽查关键指标的推进情况；发现未按计划推进的任务须如实勾选。",
    "remedial": "抽查发现任务落后：帮扶人在24小时内与支部书记沟通，并记录补救措施。",
    # resource_request (资源需求协调)
    "coordinate": "对接相关部门协调解决支部提出的资源需求（5个工作日内）；无法解决的，写明原因报监督方。",
    "review_reason": "党群部审阅帮扶人说明的未解决原因，给出协调意见。",
    # guidance_feedback (帮扶指导反馈)
    "adjust": "支部反映帮扶指导不适合实际：党群部在5个工作日内协调调整，写明调整内容。",
    "acknowledge": "帮扶人知悉党群部的调整意见并按调整后的方式开展指导。",
    # inspection_round / peer_inspection (互查互学互促)
    "compile_handbook": "党群部汇总各支部互查中的亮点做法，汇编标准化经验手册，并安排观摩会。",
    "hear_report": "互查小组听取被查支部书记的标准化工作汇报，记录汇报要点。",
    "check_records": "互查小组对照互查量化清单查阅被查支部的台账资料，记录发现。",
    "site_visit": "互查小组实地查看党员活动阵地等现场情况，记录发现。",
    "interview_members": "互查小组随机走访党员，了解知晓情况和意见建议。",
    "scoring": "按互查量化清单逐项打分，每项不超过该项分值，并可附扣分说明。",
    "feedback": "向被查支部现场反馈：优点、问题、整改建议和整改时限；每个问题生成一张整改单。",
    "recheck": "整改时限到期后回头看：所有整改单已销号方可判定通过，否则5个工作日后再查。",
    # rectification (整改销号)
    "plan": "支部在7个工作日内制定整改方案：措施、责任人、完成时限。",
    "rectify": "支部按方案落实整改，在整改时限前完成。",
    "evidence": "支部上传整改佐证材料（照片、台账、文件等），说明整改情况。",
    "verify": "党群部核验整改结果：合格则销号，不合格写明退回原因并退回重改。",
    # plaque_rating (季度亮牌)
    "self_criticism": "亮争先牌的支部，书记在5个工作日内向党委提交书面检讨，写明原因与整改措施。",
    "review_criticism": "党委审阅争先牌支部书记的书面检讨，提出意见。",
    "committee_interview": "连续两个季度亮争先牌：党委约谈党支部书记。",
    "rerate": "争先牌支部整改后，党群部复评：本季度的整改问题全部销号方可改亮达标牌，否则延长争先期限（带入下季度）。",
}
