"""Schemas of the supervisor's overview (督导看板): its filters and the figures it serves."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

_TEXT = validate.Length(max=32)


class BoardQuery(Schema):
    quarter = fields.String(validate=_TEXT, metadata={"example": "2026Q1", "description": "a calendar quarter"})
    month = fields.String(validate=_TEXT, metadata={"example": "2026-03", "description": "a month (default: this month)"})
    branch = fields.String(validate=_TEXT, metadata={"description": "one branch's code"})


class DutyQuery(BoardQuery):
    kind = fields.String(required=True, validate=_TEXT, metadata={"example": "remedial"})
    state = fields.String(validate=_TEXT, metadata={"description": "on_time, late, overdue or escalated"})


class Cell(Schema):
    due = fields.Integer()
    on_time = fields.Integer()
    late = fields.Integer()
    overdue = fields.Integer()
    escalated = fields.Integer()
    pending = fields.Integer()
    tone = fields.String(metadata={"description": "bad (overdue now), warn (done late), good, none (nothing due)"})


class Period(Schema):
    key = fields.String()
    label = fields.String()
    start = fields.String()
    end = fields.String()
    months = fields.List(fields.String())


class Kind(Schema):
    key = fields.String()
    label = fields.String()
    owner = fields.String()


class Pairing(Schema):
    id = fields.String()
    status = fields.String()
    month = fields.Raw(allow_none=True)
    week = fields.Raw(allow_none=True)
    term_start = fields.String(allow_none=True)
    term_end = fields.String(allow_none=True)
    helper = fields.String(allow_none=True)
    helper_name = fields.String(allow_none=True)


class Assessment(Schema):
    quarter = fields.String(allow_none=True)
    score = fields.Float()
    band = fields.String(allow_none=True)
    band_label = fields.String(allow_none=True)
    instance = fields.String()


class Plaque(Schema):
    quarter = fields.String(allow_none=True)
    composite = fields.Float(allow_none=True)
    plaque = fields.String(allow_none=True)
    plaque_label = fields.String(allow_none=True)
    instance = fields.String()


class Tickets(Schema):
    open = fields.Integer()
    overdue = fields.Integer()


class BranchRow(Schema):
    branch = fields.String()
    branch_name = fields.String()
    pairing = fields.Nested(Pairing, allow_none=True)
    cells = fields.Dict(keys=fields.String(), values=fields.Nested(Cell))
    tickets = fields.Nested(Tickets)
    assessment = fields.Nested(Assessment, allow_none=True)
    plaque = fields.Nested(Plaque, allow_none=True)


class HeatCell(Schema):
    month = fields.String()
    due = fields.Integer()
    on_time = fields.Integer()
    closed_or_overdue = fields.Integer()
    rate = fields.Float(allow_none=True)
    tone = fields.String()


class HeatRow(Schema):
    branch = fields.String()
    branch_name = fields.String()
    cells = fields.List(fields.Nested(HeatCell))


class Heatmap(Schema):
    months = fields.List(fields.String())
    rows = fields.List(fields.Nested(HeatRow))


class ScoreRow(Schema):
    branch = fields.String()
    branch_name = fields.String()
    assessment = fields.List(fields.Float(allow_none=True))
    composite = fields.List(fields.Float(allow_none=True))


class Scores(Schema):
    quarters = fields.List(fields.String())
    rows = fields.List(fields.Nested(ScoreRow))


class TicketRow(Schema):
    branch = fields.String()
    branch_name = fields.String()
    open = fields.List(fields.Integer())


class TicketWeeks(Schema):
    weeks = fields.List(fields.String(), metadata={"description": "the last day (Sunday) of each week"})
    rows = fields.List(fields.Nested(TicketRow))


class MonthVisits(Schema):
    month = fields.String()
    visits = fields.Integer()


class HelperRow(Schema):
    helper = fields.String(allow_none=True)
    helper_name = fields.String(allow_none=True)
    branch = fields.String()
    branch_name = fields.String()
    visits = fields.List(fields.Nested(MonthVisits))
    visits_ok = fields.Boolean(allow_none=True)
    spot_checks = fields.Integer()
    escalated = fields.Integer()


class SecretaryRow(Schema):
    branch = fields.String()
    branch_name = fields.String()
    secretaries = fields.List(fields.String())
    overdue = fields.Integer()
    late = fields.Integer()
    interviews = fields.Integer()


class OverdueItem(Schema):
    task_id = fields.String()
    name = fields.String()
    instance_id = fields.String()
    title = fields.String()
    element = fields.String()
    kind = fields.String(allow_none=True)
    branch = fields.String(allow_none=True)
    branch_name = fields.String()
    role = fields.String()
    role_label = fields.String()
    due_at = fields.DateTime()
    days_overdue = fields.Float()
    escalation_level = fields.Integer()
    holders = fields.List(fields.String())


class Overdue(Schema):
    total = fields.Integer()
    items = fields.List(fields.Nested(OverdueItem))


class BoardOut(Schema):
    period = fields.Nested(Period)
    now = fields.DateTime()
    branch = fields.String(allow_none=True)
    kinds = fields.List(fields.Nested(Kind))
    branches = fields.List(fields.Nested(BranchRow))
    heatmap = fields.Nested(Heatmap)
    scores = fields.Nested(Scores)
    tickets = fields.Nested(TicketWeeks)
    helpers = fields.List(fields.Nested(HelperRow))
    secretaries = fields.List(fields.Nested(SecretaryRow))
    overdue = fields.Nested(Overdue)


class DutyItem(Schema):
    task_id = fields.String()
    instance_id = fields.String()
    title = fields.String()
    name = fields.String()
    element = fields.String()
    process_id = fields.String()
    status = fields.String()
    state = fields.String()
    due_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    escalation_level = fields.Integer()


class DutiesOut(Schema):
    branch = fields.String()
    branch_name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    state = fields.String(allow_none=True)
    period = fields.Dict()
    items = fields.List(fields.Nested(DutyItem))
