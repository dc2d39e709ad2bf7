"""Functions BPMN expressions may call: deadlines on the working-day calendar, the program's periods
(term months, weeks, quarters) and score bands; and the children a script task opens on the side."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from ..domain import bands, checklist, periods
from ..domain.calendar import WorkCalendar
from . import determinism


class DeadlinePolicy:
    """Calendar plus the escalation settings the timer expressions use."""

    def __init__(self, calendar: Callable[[], WorkCalendar], reminder_hours: float = 4.0, second_level: str = "2wd"):
        self.calendar = calendar
        self.reminder_hours = reminder_hours
        self.second_level = second_level


class BranchflowScriptEngine(PythonScriptEngine):
    """Script engine that knows which task evaluates, so timer functions can annotate it."""

    def __init__(self, policy: DeadlinePolicy):
        self.policy = policy
        self._task = None
        env = TaskDataEnvironment(
            {
                "deadline": self._deadline,
                "reminder": self._reminder,
                "escalation": self._escalation,
                "assessment_band": bands.assessment_band,
                "plaque_band": bands.plaque_band,
                "plaque_composite": bands.plaque_composite,
                "weighted_score": bands.weighted_score,
                "duty_scored": bands.duty_scored,
                "checklist_score": checklist.score_percent,
                "now_iso": self._now_iso,
                # periods: pure date arithmetic on ISO dates (see domain/periods.py for the rules)
                "month_range": periods.month_range,
                "weeks_of_month": periods.weeks_of_month,
                "week_range": periods.week_range,
                "quarter_range": periods.quarter_range,
                "quarter_label": periods.quarter_label,
                "assessed_quarters": periods.assessed_quarters,
                "term_last_day": periods.term_last_day,
                "add_days": periods.add_days,
                "add_months": lambda day, n: periods.add_months(day, n).isoformat(),
                "later": periods.later,
                "opens_at": periods.opens_at,
            }
        )
        super().__init__(environment=env)

    def evaluate(self, task, expression, external_context=None):
        """Evaluate with ``task`` remembered for the calendar functions."""
        previous, self._task = self._task, task
        try:
            return super().evaluate(task, expression, external_context)
        finally:
            self._task = previous

    def execute(self, task, script, external_context=None):
        """Run a script task; one with the ``opens_process`` property asks for a child instance on the side
        (a pairing's month): the request is kept on the workflow for the service to start after the step."""
        result = super().execute(task, script, external_context)
        props = (getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}
        if props.get("opens_process"):
            names = [k.strip() for k in (props.get("child_inputs") or "").split(",") if k.strip()]
            inputs = {k: task.data[k] for k in names if k in task.data}
            top = task.workflow.top_workflow if hasattr(task.workflow, "top_workflow") else task.workflow
            requests = getattr(top, "opened_children", None)
            if requests is None:
                requests = top.opened_children = []
            requests.append((props["opens_process"], inputs))
        return result

    # -- functions visible to BPMN expressions -------------------------------------------

    def _now(self) -> datetime:
        ctx = determinism.current()
        if ctx is None:
            raise RuntimeError("deadline functions run only inside an engine step")
        return ctx.now

    def _now_iso(self) -> str:
        return self._now().isoformat()

    def _compute(self, rule: str, kind: str) -> str:
        start = self._now()
        cal = self.policy.calendar()
        first = cal.deadline(start, rule)
        due, provisional = first.due, first.provisional
        if kind == "reminder":
            due = max(start, due - timedelta(hours=self.policy.reminder_hours))
        elif kind == "escalation":
            second = cal.deadline(first.due, self.policy.second_level)
            due, provisional = second.due, provisional or second.provisional
        if self._task is not None:
            self._task._set_internal_data(
                deadline={"rule": rule, "kind": kind, "start": start.isoformat(), "provisional": provisional}
            )
        return due.isoformat()

    def _deadline(self, rule: str) -> str:
        return self._compute(rule, "due")

    def _reminder(self, rule: str) -> str:
        return self._compute(rule, "reminder")

    def _escalation(self, rule: str) -> str:
        return self._compute(rule, "escalation")

    def recompute(self, task) -> str:
        """Recompute a timer's due instant from its recorded rule and start (after a year loads)."""
        info = task._get_internal_data("deadline")
        start = datetime.fromisoformat(info["start"])
        ctx = determinism.current()
        with determinism.step(start, ctx.rng.getrandbits(64) if ctx else 0):
            previous, self._task = self._task, task
            try:
                return self._compute(info["rule"], info["kind"])
            finally:
                self._task = previous
