"""Who may call each HTTP operation: the one permission table the API enforces before it reads a request.

The table answers the route-level question (may a holder of these roles call this operation at all?).
Scope is checked by the use case on the object itself: a branch secretary may call
``POST /api/tasks/{task_id}/complete``, but only for tasks of their role and branch.
Operations are written as in the OpenAPI document: ``METHOD /path/{param}``.
"""
from __future__ import annotations

from collections.abc import Iterable

from .roles import READ_ONLY_ROLES, ROLE_LABELS

#: no token needed
PUBLIC = "public"
#: any valid token, even one whose account holds no role (to see who one is, to log out)
AUTHENTICATED = "authenticated"

#: every role a person can hold (``system`` is the service itself, never a login)
EVERY_ROLE = frozenset(ROLE_LABELS) - {"system"}
#: roles that may change something (auditors only read)
ACTING = EVERY_ROLE - READ_ONLY_ROLES

# Capabilities: the roles a use case requires, shared by the use case's own check and the table rows
# of the routes that call it, so the two cannot drift apart.
#: publish checklist versions and inspection rounds (党群部, or the system administrator)
MANAGE_INSPECTIONS = frozenset({"supervisor", "admin"})
#: rate the quarter's plaques (党群部)
RATE_PLAQUES = frozenset({"supervisor"})
#: load an official calendar year
LOAD_CALENDAR = frozenset({"admin"})
#: see timers a sweep parked as failed, and re-queue them
MANAGE_TIMERS = frozenset({"admin"})
#: see tasks nobody can act on, and assign a task to a named person
ASSIGN_TASKS = frozenset({"admin", "supervisor"})
#: see the service's backlogs and the messages that failed or wait, and re-queue them (operations)
OPERATE = frozenset({"admin"})
#: read the signed audit checkpoints (to keep them as a witness)
READ_CHECKPOINTS = frozenset({"auditor", "admin"})
#: end a running instance (终止): 党群部 or the system administrator
TERMINATE = frozenset({"supervisor", "admin"})
#: manage accounts: list, add, disable, reset a password, lift a login lock
MANAGE_USERS = frozenset({"admin"})
#: read the annual review roll-up (党群部 hands it over; 党委 and auditors read it)
READ_REVIEWS = frozenset({"supervisor", "committee", "auditor"})
#: maintain the organisation: branches, party groups, people with their branch, group and roles
MANAGE_ORG = frozenset({"admin"})
#: reassign a task: admins and the supervisor any, a branch's secretary and committee members its member duties
REASSIGN_TASKS = ASSIGN_TASKS | {"secretary", "branch_committee"}
#: open a period's duty work for every branch (a quarter's claiming, checks, party-group meetings, scores)
OPEN_DUTY = frozenset({"supervisor", "admin"})
#: file rectification evidence for a branch (its secretary or committee members)
FILE_EVIDENCE = frozenset({"secretary", "branch_committee"})
#: read the supervisor's overview (督导看板): 党群部 and 党委 all branches, a branch secretary their own
VIEW_BOARD = frozenset({"supervisor", "committee", "secretary"})

PERMISSIONS: dict[str, str | frozenset[str]] = {
    "GET /api/openapi.json": PUBLIC,
    "GET /api/docs": PUBLIC,
    "GET /api/redoc": PUBLIC,
    "POST /api/auth/login": PUBLIC,
    "POST /api/auth/logout": AUTHENTICATED,
    "GET /api/auth/me": AUTHENTICATED,
    # inboxes and reads: the use case narrows them to the caller's branches
    "GET /api/tasks": EVERY_ROLE,
    "GET /api/tasks/{task_id}": EVERY_ROLE,
    "GET /api/tasks/done": AUTHENTICATED,  # the caller's own completed tasks
    "GET /api/instances/mine": AUTHENTICATED,  # the instances the caller started
    "GET /api/processes/startable": AUTHENTICATED,  # the processes the caller's roles may start
    "POST /api/tasks/{task_id}/claim": ACTING,
    "POST /api/tasks/{task_id}/complete": ACTING,
    "GET /api/tasks/stranded": ASSIGN_TASKS,
    "POST /api/tasks/{task_id}/assign": REASSIGN_TASKS,  # branch roles: their branch's member duties
    "GET /api/instances": EVERY_ROLE,
    "POST /api/instances": ACTING,  # and the start form's x-start-roles for that process and branch
    "GET /api/instances/{instance_id}": EVERY_ROLE,
    "GET /api/instances/{instance_id}/history": EVERY_ROLE,
    "GET /api/instances/{instance_id}/history/{seq}": EVERY_ROLE,
    "GET /api/instances/{instance_id}/verify": EVERY_ROLE,
    "GET /api/instances/{instance_id}/export": EVERY_ROLE,
    "GET /api/calendar/deadline": EVERY_ROLE,
    "GET /api/calendar/years": EVERY_ROLE,
    "POST /api/calendar/years": LOAD_CALENDAR,
    "GET /api/inspections/checklists": EVERY_ROLE,
    "POST /api/inspections/checklists": MANAGE_INSPECTIONS,
    "POST /api/inspections/rounds": MANAGE_INSPECTIONS,
    "GET /api/inspections/rounds/{round_id}/handbook": EVERY_ROLE,
    "GET /api/tickets": EVERY_ROLE,
    "GET /api/ratings": EVERY_ROLE,
    "POST /api/ratings": RATE_PLAQUES,
    "GET /api/reviews": READ_REVIEWS,
    "GET /api/reviews.xlsx": READ_REVIEWS,
    "GET /api/audit/checkpoints": READ_CHECKPOINTS,
    "GET /api/audit/public-key": PUBLIC,
    "GET /api/timers/failed": MANAGE_TIMERS,
    "POST /api/timers/requeue": MANAGE_TIMERS,
    "POST /api/attachments": FILE_EVIDENCE,
    "GET /api/attachments/{attachment_id}": EVERY_ROLE,
    "GET /api/users": MANAGE_USERS,
    "POST /api/users": MANAGE_USERS,
    "POST /api/users/{username}/password": MANAGE_USERS,
    "POST /api/users/{username}/active": MANAGE_USERS,
    "POST /api/users/{username}/unlock": MANAGE_USERS,
    "POST /api/tasks/{task_id}/release": ACTING,
    "GET /api/ops/status": OPERATE,
    "GET /api/outbox": OPERATE,
    "POST /api/outbox/requeue": OPERATE,
    "GET /api/me/notifications": AUTHENTICATED,  # the caller's own choices
    "PUT /api/me/notifications": AUTHENTICATED,
    "GET /api/tasks/{task_id}/send-back": ACTING,  # the targets; the use case checks the holder
    "POST /api/tasks/{task_id}/send-back": ACTING,
    "POST /api/tasks/{task_id}/withdraw": ACTING,  # the person who completed it
    "POST /api/tasks/{task_id}/transfer": ACTING,
    "POST /api/tasks/{task_id}/urge": ACTING,
    "POST /api/tasks/{task_id}/delegate": ACTING,
    "POST /api/tasks/{task_id}/countersign": ACTING,
    "GET /api/me/deputies": AUTHENTICATED,  # the caller's own
    "POST /api/me/deputies": ACTING,
    "POST /api/instances/{instance_id}/terminate": TERMINATE,
    "POST /api/instances/{instance_id}/cc": ACTING,
    "GET /api/branches": EVERY_ROLE,
    "POST /api/branches": MANAGE_ORG,
    "PATCH /api/branches/{code}": MANAGE_ORG,
    "GET /api/groups": EVERY_ROLE,
    "POST /api/groups": MANAGE_ORG,
    "PATCH /api/groups/{group_id}": MANAGE_ORG,
    "GET /api/people": EVERY_ROLE,  # the use case narrows it to the caller's branches
    "POST /api/people": MANAGE_ORG,
    "PATCH /api/people/{username}": MANAGE_ORG,
    "POST /api/me/password": AUTHENTICATED,  # the caller's own, with the old password
    "GET /api/points": EVERY_ROLE,  # the use case narrows it
    "POST /api/duty/quarters": OPEN_DUTY,
    "POST /api/duty/checks": OPEN_DUTY,
    "POST /api/duty/meetings": OPEN_DUTY,
    "POST /api/duty/scores": OPEN_DUTY,
    "GET /api/duty/board": EVERY_ROLE,  # 公示栏: published for members and the masses
    "GET /api/duty/claims": EVERY_ROLE,
    "GET /api/cc": AUTHENTICATED,  # the caller's own copies
    "POST /api/cc/{cc_id}/read": AUTHENTICATED,
    "GET /api/board": VIEW_BOARD,  # the use case narrows a secretary to their branch
    "GET /api/board/duties": VIEW_BOARD,
}


def rule_of(operation: str) -> str | frozenset[str] | None:
    """The table's rule for ``operation``, or None when the table does not name it (callers refuse it)."""
    return PERMISSIONS.get(operation)


def allows(rule: str | frozenset[str], roles: Iterable[str]) -> bool:
    """True when a caller holding ``roles`` (already authenticated unless ``rule`` is PUBLIC) may call."""
    if rule in (PUBLIC, AUTHENTICATED):
        return True
    return any(role in rule for role in roles)
