"""Calendar use cases: deadlines on demand, loading an official year, re-arming provisional timers."""
from __future__ import annotations

import json
import logging

from ..domain.calendar import Deadline, ScheduleError, YearSchedule, parse_rule
from ..domain.errors import ValidationFailed
from ..domain.permissions import LOAD_CALENDAR
from ..domain.status import InstanceStatus
from ..store.models import CalendarYear
from ..store.uow import UnitOfWork
from . import event_types, instances
from .actors import Actor
from .context import Services

log = logging.getLogger(__name__)


def refresh(svc: Services) -> None:
    """Load the calendar in force: year files shipped in ``calendar/`` overlaid by years loaded in the DB."""
    years: dict[int, YearSchedule] = {}
    if svc.settings.calendar_dir.is_dir():
        for path in sorted(svc.settings.calendar_dir.glob("[0-9][0-9][0-9][0-9].json")):
            schedule = YearSchedule.from_dict(json.loads(path.read_text(encoding="utf-8")))
            years[schedule.year] = schedule
    with svc.uow() as uow:
        for row in uow.calendar.years():
            years[row.year] = YearSchedule.from_dict(row.data)
        for schedule in years.values():  # audit: every schedule a deadline used stays retrievable
            uow.calendar.keep_schedule(schedule.sha256(), schedule.year, schedule.to_dict(), svc.clock.now())
        uow.commit()
    svc.calendars.use_years(list(years.values()))


def deadline(svc: Services, start, rule: str) -> Deadline:
    """Deadline of ``rule`` from ``start``; bad input is a 422 naming the field."""
    try:
        parse_rule(rule)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="rule") from None
    if start.tzinfo is None:
        raise ValidationFailed("start needs a timezone offset, e.g. 2026-09-30T10:00:00+08:00", field="start")
    return svc.calendars.current.deadline(start, rule)


def load_year(svc: Services, uow: UnitOfWork, actor: Actor, data: object) -> dict:
    """Load (or replace) an official year and re-arm every provisional timer it affects (admins only).

    The year is committed in ``uow``; each re-armed instance then gets a transaction of its own."""
    actor.require(LOAD_CALENDAR, "only an admin loads calendar years")
    try:
        schedule = YearSchedule.from_dict(data)
    except ScheduleError as exc:
        raise ValidationFailed(str(exc), field=exc.field) from None
    row = uow.calendar.year(schedule.year)
    if row is None:
        uow.add(CalendarYear(year=schedule.year, data=schedule.to_dict(), loaded_at=svc.clock.now(),
                             loaded_by=actor.name))
    else:
        row.data, row.loaded_at, row.loaded_by = schedule.to_dict(), svc.clock.now(), actor.name
    uow.calendar.keep_schedule(schedule.sha256(), schedule.year, schedule.to_dict(), svc.clock.now())
    uow.commit()
    svc.calendars.use_years(list(svc.calendars.current.loaded_years.values()) + [schedule])
    return {"year": schedule.year, "source": schedule.source,
            "rearmed": rearm_provisional(svc, actor, schedule.to_dict())}


def years(svc: Services) -> list[dict]:
    """Every year the calendar knows: built-in (chinesecalendar), shipped files and loaded ones."""
    return svc.calendars.current.coverage()


def rearm_provisional(svc: Services, actor: Actor, schedule: dict | None = None) -> list[dict]:
    """Recompute provisional timers of every running instance; one ``rearm`` event per instance whose
    timers moved or stopped being provisional. The event carries the schedule that was loaded, so the
    history shows which official notice changed the deadline."""
    changed = []
    with svc.uow() as uow:
        ids = uow.timers.provisional_instances()
    for instance_id in ids:
        with svc.uow() as uow:
            inst = uow.instances.get(instance_id, for_update=True)
            if inst is None or inst.status != InstanceStatus.RUNNING:
                continue
            now = svc.clock.now()
            step = instances.Entry(event_types.Rearm("calendar year loaded", schedule), actor, None,
                                  "工作日历更新，重算期限")
            before = uow.instances.rows_to_project(inst.id)[0]  # pending timers: id -> (due_at, provisional)
            instances.apply_event(svc, uow, inst, step, now)
            after = uow.instances.rows_to_project(inst.id)[0]
            if before == after:
                continue  # nothing moved: leave no event (closing the unit of work rolls back)
            uow.commit()
            changed.append({"instance": instance_id, "timers": sorted(t for t in after if before.get(t) != after[t])})
    return changed
