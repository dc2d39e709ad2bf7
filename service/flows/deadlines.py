"""The calendar in force and the deadline context: everything a due time computed now depends on besides
the instant. Each state event records the context (``ctx``), and replay rebuilds the calendar from it, so a
later calendar load or configuration change never moves an old instance's deadlines."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.calendar import BUILTIN_YEARS, WorkCalendar, YearSchedule


@dataclass(frozen=True)
class DeadlineContext:
    """Close of business, reminder lead, second-level escalation rule, the built-in calendar's years and
    the content address of every loaded year."""

    cob: str
    remind_h: float
    second: str
    builtin: tuple[int, int] | None = None
    years: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The form the log keeps (the key names every recorded event carries)."""
        out = {"cob": self.cob, "remind_h": self.remind_h, "second": self.second, "years": dict(self.years)}
        if self.builtin is not None:
            out["builtin"] = list(self.builtin)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "DeadlineContext":
        """Read a recorded context back."""
        builtin = data.get("builtin")
        return cls(data["cob"], data["remind_h"], data["second"], tuple(builtin) if builtin else None,
                   dict(data.get("years", {})))


class CalendarInForce:
    """The working-day calendar the service computes deadlines on now (built-in years plus every loaded
    year), and the context it records with each state event."""

    def __init__(self, settings):
        self._settings = settings
        self.current = WorkCalendar(close_of_business=settings.close_of_business)
        self._context: DeadlineContext | None = None

    def use_years(self, schedules: list[YearSchedule]) -> None:
        """Replace the loaded years (at start-up and after an admin loads a year)."""
        cal = WorkCalendar(close_of_business=self._settings.close_of_business)
        for schedule in schedules:
            cal = cal.with_year(schedule)
        self.current = cal
        self._context = None

    def context(self) -> DeadlineContext:
        """The deadline context in force (built once per calendar)."""
        if self._context is None:
            s = self._settings
            self._context = DeadlineContext(
                s.close_of_business.isoformat(timespec="minutes"), s.reminder_hours, s.second_level_escalation,
                (BUILTIN_YEARS[0], BUILTIN_YEARS[-1]),
                {str(y): sch.sha256() for y, sch in sorted(self.current.loaded_years.items())})
        return self._context
