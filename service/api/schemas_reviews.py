"""Schemas of the annual review roll-up (GET /api/reviews)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class ReviewQuery(Schema):
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100),
                          metadata={"description": "the calendar year under review, e.g. 2026"})


class ReviewItem(Schema):
    kind = fields.String(metadata={"description": "plaque_model_streak (示范牌 two quarters running, once a year) "
                                                  "or pairing_qualified (帮扶合格)"})
    points = fields.Integer()
    quarter = fields.String()
    reason = fields.String()
    instance = fields.String(metadata={"description": "the instance the item came from"})


class Interview(Schema):
    by = fields.String(metadata={"description": "supervisor (党群部) or committee (党委)"})
    quarter = fields.String()
    reason = fields.String()
    instance = fields.String()


class SecretaryReview(Schema):
    username = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    branch = fields.String()
    branch_name = fields.String()
    bonus_total = fields.Integer()
    bonus_items = fields.List(fields.Nested(ReviewItem))
    interviews = fields.List(fields.Nested(Interview))


class NotMetRun(Schema):
    quarters = fields.List(fields.String())
    scores = fields.List(fields.Float())
    instances = fields.List(fields.String())


class QualifiedPairing(Schema):
    branch = fields.String()
    instance = fields.String()


class HelperReview(Schema):
    username = fields.String()
    display_name = fields.String(allow_none=True)
    branches = fields.List(fields.String())
    excellent_eligible = fields.Boolean(metadata={"description": "false after two consecutive quarterly assessments "
                                                                "below 80 (连续2次季度评估不达标者不得评为优秀)"})
    why = fields.String()
    qualified = fields.List(fields.Nested(QualifiedPairing), metadata={"description": "帮扶合格 pairings (优先评优)"})
    priority_for_excellent = fields.Boolean()
    not_met_runs = fields.List(fields.Nested(NotMetRun))


class PlaqueOfQuarter(Schema):
    quarter = fields.String()
    plaque = fields.String(allow_none=True)
    rated_plaque = fields.String(allow_none=True)
    composite = fields.Float(allow_none=True)
    recommended_advanced = fields.Boolean()
    instance = fields.String()


class AssessmentOfQuarter(Schema):
    quarter = fields.String()
    score = fields.Float()
    band = fields.String(allow_none=True)
    instance = fields.String()


class TicketInstances(Schema):
    opened = fields.List(fields.String())
    closed = fields.List(fields.String())
    overdue = fields.List(fields.String())


class TicketFigures(Schema):
    opened = fields.Integer()
    closed = fields.Integer()
    overdue = fields.Integer(metadata={"description": "still open with a task past due now"})
    instances = fields.Nested(TicketInstances)


class BranchReview(Schema):
    branch = fields.String()
    branch_name = fields.String()
    plaques = fields.List(fields.Nested(PlaqueOfQuarter))
    assessments = fields.List(fields.Nested(AssessmentOfQuarter))
    tickets = fields.Nested(TicketFigures)


class ReviewOut(Schema):
    year = fields.Integer()
    secretaries = fields.List(fields.Nested(SecretaryReview))
    helpers = fields.List(fields.Nested(HelperReview))
    branches = fields.List(fields.Nested(BranchReview))
