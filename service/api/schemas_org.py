"""marshmallow schemas of the organisation API: branches, party groups, people, my password, points."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .schemas import MAX_INT, GrantIn


class BranchIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32),
                         metadata={"description": "a lower-case letter, then letters, digits, - or _ (jg1)"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"description": "机关一支部"})


class BranchPatch(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class BranchOut(Schema):
    code = fields.String()
    name = fields.String()
    groups = fields.Integer(metadata={"description": "party groups"})
    people = fields.Integer(metadata={"description": "active people who belong to it"})


class BranchList(Schema):
    items = fields.List(fields.Nested(BranchOut))


class GroupIn(Schema):
    branch = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    leader = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))


class GroupPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    leader = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))


class GroupQuery(Schema):
    branch = fields.String(validate=validate.Length(min=1, max=32))


class GroupOut(Schema):
    id = fields.Integer()
    branch = fields.String()
    branch_name = fields.String()
    name = fields.String()
    leader = fields.String(allow_none=True)
    members = fields.List(fields.Dict())


class GroupList(Schema):
    items = fields.List(fields.Nested(GroupOut))


class PersonIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=3, max=254))
    branch = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=32))
    group_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_INT))
    roles = fields.List(fields.Nested(GrantIn), load_default=list, validate=validate.Length(max=20))


class PersonPatch(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=100))
    email = fields.String(allow_none=True, validate=validate.Length(min=3, max=254))
    branch = fields.String(allow_none=True, validate=validate.Length(min=1, max=32))
    group_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=MAX_INT))
    roles = fields.List(fields.Nested(GrantIn), validate=validate.Length(max=20),
                        metadata={"description": "replaces the person's roles"})
    active = fields.Boolean(metadata={"description": "false: no login; open personal member duties go back to the branch committee"})


class PeopleQuery(Schema):
    branch = fields.String(validate=validate.Length(min=1, max=32))
    group_id = fields.Integer(validate=validate.Range(min=1, max=MAX_INT))


class PersonOut(Schema):
    username = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    active = fields.Boolean()
    branch = fields.String(allow_none=True)
    branch_name = fields.String()
    group_id = fields.Integer(allow_none=True)
    group_name = fields.String()
    grants = fields.List(fields.Dict())


class PersonList(Schema):
    items = fields.List(fields.Nested(PersonOut))


class OwnPasswordIn(Schema):
    old_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))


class PointsQuery(Schema):
    username = fields.String(validate=validate.Length(min=1, max=64))
    branch = fields.String(validate=validate.Length(min=1, max=32))


class PointOut(Schema):
    username = fields.String()
    branch = fields.String(allow_none=True)
    period = fields.String()
    points = fields.Integer()
    reason = fields.String()
    source = fields.String()
    created_at = fields.DateTime()


class PointList(Schema):
    items = fields.List(fields.Nested(PointOut))
    total = fields.Integer(allow_none=True, metadata={"description": "the person's sum (when one person is asked)"})
