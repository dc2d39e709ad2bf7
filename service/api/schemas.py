"""marshmallow schemas of the HTTP API (never on ORM classes)."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from ..domain.roles import BRANCHES


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
    branch = fields.String(validate=validate.OneOf(list(BRANCHES)))
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
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)


class TaskDetailOut(TaskOut):
    form = fields.Dict(allow_none=True)
    process_data = fields.Dict()


class TaskPage(Schema):
    items = fields.List(fields.Nested(TaskOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class CompleteIn(Schema):
    data = fields.Dict(load_default=dict)
    version = fields.Integer(validate=validate.Range(min=1))


class InstanceIn(Schema):
    process = fields.String(required=True, validate=validate.Length(min=1, max=64))
    variables = fields.Dict(load_default=dict)


class InstanceQuery(PageArgs):
    process = fields.String(validate=validate.Length(max=64))
    branch = fields.String(validate=validate.OneOf(list(BRANCHES)))
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


class InstanceDetailOut(InstanceOut):
    data = fields.Dict(attribute="summary")
    open_tasks = fields.List(fields.Nested(TaskOut))
    children = fields.List(fields.Nested(InstanceOut))


class InstancePage(Schema):
    items = fields.List(fields.Nested(InstanceOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class DeadlineQuery(Schema):
    start = fields.AwareDateTime(required=True)
    rule = fields.String(required=True, validate=validate.Length(min=2, max=8))


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
