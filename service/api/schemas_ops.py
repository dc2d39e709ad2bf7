"""marshmallow schemas of the operations API: status, the outbox, notification choices."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..flows.notices import CHANNELS
from .schemas import MAX_INT, PageArgs

STATUSES = ["pending", "sending", "sent", "failed"]


class OpsStatusOut(Schema):
    tasks_open = fields.Integer()
    tasks_overdue = fields.Integer()
    escalations_open = fields.Integer()
    timers = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "timer rows by status (pending, fired, failed, cancelled)"})
    timers_due = fields.Integer(metadata={"description": "due now and not fired yet"})
    outbox = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "outbox messages by status (pending, sending, sent, failed)"})
    scheduler_lag_seconds = fields.Float(metadata={"description": "how late the earliest unfired due timer is"})
    next_timer_due = fields.DateTime(allow_none=True)
    scheduler_heartbeat = fields.DateTime(allow_none=True)
    scheduler_heartbeat_age_seconds = fields.Float(allow_none=True)


class OutboxQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "only messages of this status"})


class OutboxOut(Schema):
    id = fields.Integer()
    recipient = fields.String()
    channel = fields.String()
    status = fields.String()
    subject = fields.String()
    attempts = fields.Integer()
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    next_attempt_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    instance_id = fields.String(allow_none=True)
    instance_title = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)


class OutboxPage(Schema):
    items = fields.List(fields.Nested(OutboxOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class OutboxRequeueIn(Schema):
    ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=MAX_INT)), validate=validate.Length(min=1, max=1000),
                      metadata={"description": "failed message ids to send again; leave out for every failed message"})


class OutboxRequeueOut(Schema):
    requeued = fields.List(fields.Integer())



class NotificationsIn(Schema):
    channels = fields.List(fields.String(validate=validate.OneOf(list(CHANNELS))), allow_none=True,
                           validate=validate.Length(max=len(CHANNELS)),
                           metadata={"description": "channels for reminders and escalations; null: the deployment's default"})
    new_task_channels = fields.List(fields.String(validate=validate.OneOf(list(CHANNELS))), allow_none=True,
                                    validate=validate.Length(max=len(CHANNELS)),
                                    metadata={"description": "channels for a notice of each new 待办; [] none; null: default"})
    mobile = fields.String(allow_none=True, validate=validate.Regexp(r"^(\+?[0-9]{5,20})?$"),
                           metadata={"description": "the number 企业微信/钉钉 group robots @-mention you by"})


class NotificationsOut(Schema):
    channels = fields.List(fields.String())
    channels_default = fields.Boolean()
    new_task_channels = fields.List(fields.String())
    new_task_default = fields.Boolean()
    mobile = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    available = fields.List(fields.String(), metadata={"description": "channels this deployment has configured"})
    known = fields.List(fields.String())
