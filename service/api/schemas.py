"""marshmallow schemas of the HTTP API (never on ORM classes)."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate


#: a quarter as 2026Q2 (the use cases check the same with domain.quarters)
QUARTER = validate.Regexp(r"^20[0-9]{2}Q[1-4]$", error="a quarter looks like 2026Q2")


class BranchCode(fields.String):
    """A branch code the organisation knows (checked against the branches table: a branch an admin adds is
    accepted at once)."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs)
        from ..flows import org
        from .context import request_uow

        names = org.branch_names(request_uow())
        if code not in names:
            raise ValidationError(f"Must be one of: {', '.join(names)}.")
        return code


#: the largest integer a request may carry where it meets an INTEGER column (PostgreSQL's int4)
MAX_INT = 2**31 - 1


class LoginIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class TokenOut(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    username = fields.String()
    roles = fields.List(fields.Dict())


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class TaskQuery(PageArgs):
    process = fields.String(validate=validate.Length(max=64))
    branch = BranchCode()
    overdue = fields.Boolean(load_default=False)


class TaskOut(Schema):
    id = fields.String()
    instance_id = fields.String()
    process = fields.String(attribute="process_id")
    kind = fields.String()
    element = fields.String()
    name = fields.String()
    role = fields.String()
    branch = fields.String(allow_none=True)
    status = fields.String()
    due_at = fields.DateTime(allow_none=True)
    due_provisional = fields.Boolean(attribute="provisional")
    overdue = fields.Boolean()
    escalation_level = fields.Integer()
    refers_to = fields.String(attribute="ref_task_id", allow_none=True)
    claimed_by = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True, metadata={"description": "a personal task: only this person acts on it"})
    owner = fields.String(allow_none=True, metadata={"description": "委派/加签: who stays responsible while someone else has it"})
    draft = fields.Dict(allow_none=True, metadata={"description": "data waiting: a delegate's work for the owner to confirm, "
                                                                  "or a submission waiting for an after-signer"})
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)


class TaskInContextOut(TaskOut):
    instance_title = fields.String(metadata={"description": "the title of the task's instance"})
    branch_name = fields.String(allow_none=True, metadata={"description": "the Chinese name of the task's branch"})


#: what the served forms carry besides JSON Schema (see service/flows/forms.py)
FORM_DESCRIPTION = ("JSON Schema (draft 2020-12) with Chinese titles, as a page shows it: a property with an `enum` "
                    "carries `x-enum-labels` (value → Chinese label; branch codes are labelled with the "
                    "organisation's branch names), every object schema with properties carries `x-order` (its "
                    "property names in display order)")


class AlongsideOut(Schema):
    id = fields.String()
    element = fields.String()
    name = fields.String()
    role = fields.String()
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    escalation_level = fields.Integer()


class TaskDetailOut(TaskInContextOut):
    form = fields.Dict(allow_none=True, metadata={"description": FORM_DESCRIPTION})
    process_data = fields.Dict()
    alongside = fields.List(fields.Nested(AlongsideOut), metadata={
        "description": "the instance's other open duties, overdue first (a quarter's missing quiz or report)"})


class TaskPage(Schema):
    items = fields.List(fields.Nested(TaskInContextOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class CompleteIn(Schema):
    data = fields.Dict(load_default=dict)
    version = fields.Integer(validate=validate.Range(min=1, max=MAX_INT))


class InstanceIn(Schema):
    process = fields.String(required=True, validate=validate.Length(min=1, max=64))
    variables = fields.Dict(load_default=dict)


class InstanceQuery(PageArgs):
    process = fields.String(validate=validate.Length(max=64))
    branch = BranchCode()
    status = fields.String(validate=validate.OneOf(["running", "completed"]))


class InstanceOut(Schema):
    id = fields.String()
    process = fields.String(attribute="process_id")
    title = fields.String()
    branch = fields.String(allow_none=True)
    status = fields.String()
    outcome = fields.String(allow_none=True)
    version = fields.Integer()
    spec_sha256 = fields.String(attribute="spec_sha")
    parent_id = fields.String(allow_none=True)
    started_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class InstanceItemOut(Schema):
    """An instance as lists show it (the same fields as InstanceOut, read from ``flows.instances.item``)."""

    id = fields.String()
    process = fields.String()
    title = fields.String()
    branch = fields.String(allow_none=True)
    status = fields.String()
    outcome = fields.String(allow_none=True)
    version = fields.Integer()
    spec_sha256 = fields.String()
    parent_id = fields.String(allow_none=True)
    started_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class InstanceItemPage(Schema):
    items = fields.List(fields.Nested(InstanceItemOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class StartableOut(Schema):
    process = fields.String(metadata={"description": "the process id (POST /api/instances {process})"})
    name = fields.String(metadata={"description": "its Chinese name"})
    form = fields.Dict(metadata={"description": "the start form; " + FORM_DESCRIPTION})
    via = fields.String(allow_none=True, metadata={
        "description": "the operation that starts this process (it checks rules of its own), e.g. "
                       "POST /api/ratings; null: POST /api/instances"})


class StartableList(Schema):
    items = fields.List(fields.Nested(StartableOut))


class InstanceDetailOut(InstanceOut):
    data = fields.Dict()
    open_tasks = fields.List(fields.Nested(TaskOut))
    children = fields.List(fields.Nested(InstanceOut))


class InstancePage(Schema):
    items = fields.List(fields.Nested(InstanceOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class DeadlineQuery(Schema):
    start = fields.AwareDateTime(required=True)
    rule = fields.String(required=True, validate=validate.Regexp(r"^[1-9][0-9]{0,2}(h|wd)$"),
                         metadata={"example": "5wd", "description": "hours (24h) or Chinese working days (3wd, 5wd, 7wd)"})


class DeadlineOut(Schema):
    start = fields.DateTime()
    rule = fields.String()
    due = fields.DateTime()
    due_local = fields.String()
    provisional = fields.Boolean()


class YearIn(Schema):
    """An official schedule; checked field by field by the calendar domain (see calendar/README.md)."""

    class Meta:
        unknown = INCLUDE

    year = fields.Raw(required=True, metadata={"description": "e.g. 2027", "type": "integer"})
    source = fields.Raw(required=True, metadata={"description": "the State Council notice", "type": "string"})
    holidays = fields.Raw(load_default=list, metadata={"type": "array", "items": {"type": "string", "format": "date"}})
    workdays = fields.Raw(load_default=list, metadata={"type": "array", "items": {"type": "string", "format": "date"}})


class YearOut(Schema):
    year = fields.Integer()
    source = fields.String()
    loaded = fields.Boolean()


class YearLoadOut(Schema):
    year = fields.Integer()
    source = fields.String()
    rearmed = fields.List(fields.Dict(), metadata={"description": "instances whose timers moved: {instance, timers}"})


class EventOut(Schema):
    seq = fields.Integer()
    type = fields.String(metadata={"description": "start, claim, complete, timer, escalation, message, rearm, …"})
    actor = fields.String()
    role = fields.String(allow_none=True)
    role_label = fields.String(allow_none=True)
    at = fields.String(metadata={"description": "ISO instant, UTC"})
    element = fields.String(allow_none=True, metadata={"description": "BPMN element id"})
    element_name = fields.String(allow_none=True, metadata={"description": "its Chinese name"})
    data = fields.Dict(metadata={"description": "inputs: form data, variables, timers, message, deadline context"})
    prev_hash = fields.String()
    hash = fields.String()


class ReplayedTaskOut(Schema):
    id = fields.String()
    element = fields.String()
    name = fields.String()
    role = fields.String()
    role_label = fields.String(allow_none=True)
    branch = fields.String(allow_none=True)
    due_at = fields.String(allow_none=True)
    due_provisional = fields.Boolean()
    claimed_by = fields.String(allow_none=True)


class ReplayedTimerOut(Schema):
    id = fields.String()
    element = fields.String()
    name = fields.String()
    kind = fields.String()
    due = fields.String()
    provisional = fields.Boolean()
    attached_to = fields.String(allow_none=True)


class StateAtOut(Schema):
    seq = fields.Integer()
    type = fields.String()
    at = fields.String()
    actor = fields.String()
    completed = fields.Boolean()
    passed = fields.List(fields.String(), metadata={"description": "diagram elements completed at least once"})
    open_tasks = fields.List(fields.Nested(ReplayedTaskOut))
    timers = fields.List(fields.Nested(ReplayedTimerOut))
    data = fields.Dict()


class ProblemOut(Schema):
    seq = fields.Integer(allow_none=True)
    field = fields.String()
    message = fields.String()


class VerifyOut(Schema):
    instance = fields.String()
    ok = fields.Boolean()
    events = fields.Integer()
    head = fields.String(allow_none=True, metadata={"description": "hash of the last event (the chain head)"})
    problems = fields.List(fields.Nested(ProblemOut), metadata={"description": "the first difference found"})
    warnings = fields.List(fields.String())


# -- peer inspection, tickets, ratings, attachments ----------------------------------------

class ChecklistItem(Schema):
    id = fields.String()
    title = fields.String()
    max_points = fields.Float()
    rule = fields.String()


class ChecklistIn(Schema):
    title = fields.Raw(required=True, metadata={"description": "2–200 characters"})
    items = fields.Raw(required=True, metadata={"description": "[{id, title, max_points, rule}], 1–50 items"})


class ChecklistOut(Schema):
    version = fields.Integer()
    title = fields.String()
    items = fields.List(fields.Nested(ChecklistItem))
    total_points = fields.Float()
    created_by = fields.String()
    created_at = fields.DateTime()


class TeamIn(Schema):
    branch = fields.String(required=True, metadata={"description": "the branch this team inspects"})
    members = fields.List(fields.String(), required=True, metadata={"description": "1–2 usernames from other branches"})


class RoundIn(Schema):
    quarter = fields.String(required=True, validate=QUARTER, metadata={"example": "2026Q2"})
    checklist_version = fields.Integer(validate=validate.Range(min=1, max=MAX_INT), metadata={"description": "default: newest"})
    teams = fields.List(fields.Nested(TeamIn), required=True)


class RoundOut(Schema):
    round = fields.Nested(InstanceOut)
    inspections = fields.List(fields.Nested(InstanceOut))


class HandbookQuery(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "html", "pdf"]))


class HandbookBranch(Schema):
    branch = fields.String()
    branch_name = fields.String()
    team = fields.List(fields.String())
    score = fields.Float(allow_none=True)
    strengths = fields.List(fields.String())
    problems = fields.List(fields.String())
    status = fields.String()
    outcome = fields.String(allow_none=True)


class HandbookOut(Schema):
    round = fields.String()
    quarter = fields.String()
    compiled = fields.Boolean()
    checklist = fields.Dict()
    foreword = fields.String()
    highlights = fields.List(fields.Dict())
    observation_meeting = fields.Dict(allow_none=True)
    branches = fields.List(fields.Nested(HandbookBranch))
    generated_at = fields.DateTime()


class TicketQuery(PageArgs):
    branch = BranchCode()
    status = fields.String(validate=validate.OneOf(["open", "closed", "overdue"]))
    source = fields.String(validate=validate.OneOf(["inspection", "diagnosis", "assessment", "problem_list"]))


class TicketOut(Schema):
    id = fields.String()
    branch = fields.String()
    branch_name = fields.String()
    title = fields.String()
    description = fields.String(allow_none=True)
    suggestion = fields.String(allow_none=True)
    evidence_note = fields.String(allow_none=True, metadata={"description": "the latest evidence form's 佐证说明"})
    source = fields.String()
    source_instance = fields.String(allow_none=True)
    deadline = fields.String()
    status = fields.String()
    sent_back_count = fields.Integer()
    opened_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class TicketPage(Schema):
    items = fields.List(fields.Nested(TicketOut))
    total = fields.Integer(metadata={"description": "tickets matching all filters"})
    open = fields.Integer(metadata={"description": "open tickets matching branch and source"})
    overdue = fields.Integer(metadata={"description": "overdue tickets matching branch and source"})
    page = fields.Integer()
    per_page = fields.Integer()


class RatingIn(Schema):
    quarter = fields.String(required=True, validate=QUARTER, metadata={"example": "2026Q2"})
    stars = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True,
                        metadata={"description": "星级党支部考核得分 by branch, e.g. {\"jg1\": 92}"})
    inspection = fields.Dict(keys=fields.String(), values=fields.Raw(),
                             metadata={"description": "override the quarter's peer-inspection score by branch"})
    pairing = fields.Dict(keys=fields.String(), values=fields.Raw(),
                          metadata={"description": "override the latest pairing assessment score by branch"})


class RatingQuery(Schema):
    quarter = fields.String(required=True, validate=QUARTER, metadata={"example": "2026Q2"})


class RatingRow(Schema):
    branch = fields.String()
    branch_name = fields.String()
    instance = fields.String()
    star = fields.Float()
    inspection = fields.Float()
    pairing = fields.Float()
    composite = fields.Float(allow_none=True)
    rated_plaque = fields.String(allow_none=True)
    plaque = fields.String(allow_none=True)
    plaque_label = fields.String(allow_none=True)
    streak = fields.Integer(allow_none=True)
    awards_withdrawn = fields.Boolean()
    secretary_bonus = fields.Integer(metadata={"description": "5 in the quarter a secretary's 示范牌 streak first "
                                                           "reaches two quarters in the year (once a year)"})
    secretary = fields.String(allow_none=True)
    recommended_advanced = fields.Boolean(metadata={"description": "示范牌: 优先推荐参评先进基层党组织"})
    recommendation = fields.String(allow_none=True)
    pairing_source = fields.String(allow_none=True, metadata={
        "description": "assessment: the branch's pairing assessment of the same quarter; given: entered by the supervisor"})
    pairing_note = fields.String(allow_none=True)
    pairing_instance = fields.String(allow_none=True)
    striving_carried = fields.Boolean(metadata={"description": "the previous quarter's 争先 period was extended into this one"})
    striving_since = fields.String(allow_none=True)
    striving_extended = fields.Boolean()
    status = fields.String()
    outcome = fields.String(allow_none=True)


class RatingBoard(Schema):
    quarter = fields.String()
    items = fields.List(fields.Nested(RatingRow))


class AttachmentOut(Schema):
    id = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    branch = fields.String()
    uploaded_by = fields.String()
    created_at = fields.DateTime()


class ErrorItem(Schema):
    field = fields.String(metadata={"description": "dotted path of the failing input, e.g. data.score or teams[0]"})
    message = fields.String()
    message_zh = fields.String(metadata={"description": "the same in Chinese, for the person who filled the form "
                                                        "in (必填, 至少2个字, …); given for form data"})


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable: validation_failed, forbidden, …"})
    message = fields.String(required=True)
    errors = fields.List(fields.Nested(ErrorItem), required=True)


class ErrorOut(Schema):
    """Every error answer: ``{"error": {"code", "message", "errors": [{field, message, message_zh?}]}}``."""

    error = fields.Nested(ErrorDetail, required=True)


class FailedTimerOut(Schema):
    id = fields.String()
    instance_id = fields.String()
    instance_title = fields.String()
    process = fields.String()
    branch = fields.String(allow_none=True)
    element = fields.String()
    name = fields.String()
    kind = fields.String()
    level = fields.Integer()
    due_at = fields.DateTime()
    error = fields.String(allow_none=True)


class FailedTimerPage(Schema):
    items = fields.List(fields.Nested(FailedTimerOut))


class RequeueIn(Schema):
    ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), validate=validate.Length(min=1, max=1000),
                      metadata={"description": "timer ids to re-queue; leave out to re-queue every failed timer"})


class RequeueOut(Schema):
    requeued = fields.List(fields.String())


class CheckpointQuery(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INT),
                           metadata={"description": "only checkpoints after this number"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class CheckpointPage(Schema):
    items = fields.List(fields.Dict(), metadata={"description": "witness lines (branchflow-checkpoint/1), oldest first"})


class PublicKeyOut(Schema):
    public_key = fields.String(allow_none=True, metadata={"description": "Ed25519, raw 32 bytes, base64"})
    key_id = fields.String(allow_none=True)


class StrandedOut(Schema):
    task = fields.Nested(TaskOut)
    instance_title = fields.String()
    reason = fields.String(metadata={"description": "why no active person can act on it"})


class StrandedPage(Schema):
    items = fields.List(fields.Nested(StrandedOut))


class AssignIn(Schema):
    assignee = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class GrantIn(Schema):
    role = fields.String(required=True, validate=validate.Length(min=1, max=32))
    branch = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=32))


class UserIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    display_name = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    email = fields.String(load_default=None, validate=validate.Length(min=3, max=254))
    roles = fields.List(fields.Nested(GrantIn), load_default=list, validate=validate.Length(max=20))


class UserOut(Schema):
    username = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    active = fields.Boolean()
    grants = fields.List(fields.Dict())
    locked_until = fields.DateTime(allow_none=True, metadata={"description": "a login lock in force until then"})


class UserList(Schema):
    items = fields.List(fields.Nested(UserOut))


class PasswordIn(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))


class ActiveIn(Schema):
    active = fields.Boolean(required=True)


class SendBackIn(Schema):
    target = fields.String(required=True, validate=validate.Length(min=1, max=64),
                           metadata={"description": "an earlier user task the diagram allows (GET …/send-back)"})
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class SendBackTarget(Schema):
    element = fields.String()
    name = fields.String()


class SendBackTargets(Schema):
    items = fields.List(fields.Nested(SendBackTarget))


class TransferIn(Schema):
    to = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={"description": "username"})
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class UrgeIn(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=200))


class UrgeOut(Schema):
    recipients = fields.List(fields.String())


class TerminateIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class CcIn(Schema):
    recipients = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list,
                             validate=validate.Length(max=20), metadata={"description": "usernames"})
    roles = fields.List(fields.String(validate=validate.Length(min=1, max=32)), load_default=list,
                        validate=validate.Length(max=5),
                        metadata={"description": "roles: everyone holding one for the instance's branch"})
    task_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class CcOut(Schema):
    recipients = fields.List(fields.String(), metadata={"description": "the people newly copied in"})


class CcItem(Schema):
    id = fields.String()
    instance_id = fields.String()
    task_id = fields.String(allow_none=True)
    sent_by = fields.String()
    note = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    instance_title = fields.String()
    branch = fields.String(allow_none=True)


class CcQuery(PageArgs):
    unread = fields.Boolean(load_default=False)


class CcPage(Schema):
    items = fields.List(fields.Nested(CcItem))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class DelegateIn(Schema):
    to = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={"description": "username"})
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class CountersignIn(Schema):
    signer = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={"description": "username"})
    when = fields.String(required=True, validate=validate.OneOf(["before", "after"]),
                         metadata={"description": "before: approve first (前加签); after: approve my submission (后加签)"})
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class DeputyIn(Schema):
    deputy = fields.String(required=True, validate=validate.Length(min=1, max=64), metadata={"description": "username"})
    starts_on = fields.String(required=True, validate=validate.Length(min=10, max=10), metadata={"example": "2026-03-09"})
    ends_on = fields.String(required=True, validate=validate.Length(min=10, max=10), metadata={"example": "2026-03-13"})


class DeputyOut(Schema):
    id = fields.String()
    deputy = fields.String()
    starts_on = fields.String()
    ends_on = fields.String()


class DeputyList(Schema):
    items = fields.List(fields.Nested(DeputyOut))
