"""The words pages show: Chinese names for statuses, event types, processes and errors, and China time."""
from __future__ import annotations

from datetime import datetime

from ..domain.calendar import china_minute
from ..domain.errors import BranchflowError, Conflict, Forbidden, NotFound, TooManyAttempts, Unauthenticated
from ..domain.roles import ROLE_LABELS

STATUS = {"running": "进行中", "completed": "已完成", "open": "待办", "closed": "已关闭", "pending": "等待中",
          "fired": "已触发", "cancelled": "已取消", "failed": "失败"}
EVENT = {"start": "发起", "complete": "提交", "timer": "计时触发", "message": "收到消息", "rearm": "重算期限",
         "claim": "认领", "release": "释放认领", "send_back": "退回", "withdraw": "撤回",
         "terminate": "终止", "transfer": "转办", "urge": "催办", "cc": "抄送", "delegate": "委派", "delegate_done": "委派办结",
         "countersign": "加签", "countersign_decision": "加签意见", "deputy": "代理办理", "escalation": "升级督办", "escalation_handled": "督办已处理", "assign": "指派", "assigned": "按规则指派", "return_to_branch": "退回支委会重新指派"}
TICKET = {"open": "整改中", "overdue": "已逾期", "closed": "已销号"}
PLAQUE = {"model": "示范牌", "standard": "达标牌", "striving": "争先牌", "none": "无"}


#: the diagram fields that name the person a task is personal to (``assignee_field``/``exclude_field``)
PERSON_FIELD = {"helper": "结对帮扶人", "member": "党员本人", "checker": "分片负责的支委委员", "leader": "党小组组长"}


def assigned(data: dict, names: dict[str, str]) -> str:
    """What an ``assigned`` history entry says: to whom the rule gave the task, and which rule."""
    rule, _, field = str(data.get("rule", "")).partition(":")
    who = PERSON_FIELD.get(field, "流程指定的人员")
    if rule == "assignee_field":
        person = data.get("assignee") or ""
        return f"个人待办：{names.get(person, person)}（{who}）"
    if rule == "exclude_field":
        return f"转由{role(data.get('role'))}办理（{who}本人不得办理）"
    return f"转由{role(data.get('role'))}办理（本支部暂无在岗的办理人）"


def role(code: str | None) -> str:
    """A role's Chinese name."""
    return ROLE_LABELS.get(code or "", code or "")


def branch(code: str | None) -> str:
    """A branch's Chinese name (empty for company-wide)."""
    if not code:
        return ""
    from .session import branch_names  # per request, from the organisation

    return branch_names().get(code, code)


def when(value: datetime | str | None) -> str:
    """China time to the minute, ``2026-03-02 09:00``."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return china_minute(value)


def error_zh(exc: BranchflowError) -> str:
    """What went wrong, in Chinese (the use cases raise English messages for API callers and logs)."""
    text = exc.message
    if isinstance(exc, TooManyAttempts):
        return "登录失败次数过多，账号已暂时锁定，请稍后再试或联系管理员解锁。"
    if isinstance(exc, Unauthenticated):
        return "账号或密码不正确。" if "password" in text else "登录已失效，请重新登录。"
    if isinstance(exc, Forbidden):
        if "assigned to" in text:
            return "该任务已指派给其他人办理。"
        return "您没有权限查看或办理此项。"
    if isinstance(exc, NotFound):
        return "找不到该记录，或您无权查看。"
    if isinstance(exc, Conflict):
        if "claimed by" in text:
            return f"该任务已被 {text.rsplit(' ', 1)[-1]} 认领，只有认领人可以办理。"
        if "already" in text:
            return "该任务已办理完毕。"
        return "该记录已被他人更新，请刷新后重试。"
    for err in exc.errors:
        if err.get("message_zh"):
            return err["message_zh"]
    return "提交的内容有误，请检查后重试。"
