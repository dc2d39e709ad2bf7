"""Everything a use case needs, built once by ``create_app`` and passed in (no globals)."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Callable

from ..domain.calendar import BUILTIN_YEARS, WorkCalendar, YearSchedule
from ..domain.clock import Clock
from ..engine.cache import WorkflowCache
from ..engine.runner import Engine
from ..engine.scripts import DeadlinePolicy
from ..engine.specs import SpecBundle, available_processes, parse_bundle, read_bundle_files
from ..store.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Settings:
    """Tunable behaviour; ``service.config`` fills it from the environment."""

    bpmn_dir: Path = ROOT / "bpmn"
    forms_dir: Path = ROOT / "forms"
    calendar_dir: Path = ROOT / "calendar"
    token_ttl_hours: float = 12.0
    close_of_business: time = time(18, 0)
    reminder_hours: float = 4.0
    second_level_escalation: str = "2wd"
    password_profile: str = "default"
    max_page: int = 200
    #: workflows kept deserialized between steps, per worker (BRANCHFLOW_WORKFLOW_CACHE; 0: off)
    workflow_cache: int = 128
    #: consecutive failed logins of one username before it is locked, and for how long
    login_max_failures: int = 5
    login_lock_minutes: float = 15.0
    #: channels each reminder/escalation is queued on; a channel without configuration keeps its messages
    notify_channels: tuple[str, ...] = ("email",)
    notify_max_attempts: int = 5
    #: uploaded evidence files, stored under their sha256 (BRANCHFLOW_ATTACHMENTS_DIR)
    attachments_dir: Path = Path("branchflow-attachments")
    attachment_max_bytes: int = 10 * 1024 * 1024
    #: a TrueType font to embed in PDFs (BRANCHFLOW_PDF_FONT); default: the CID font STSong-Light
    pdf_font: str | None = None
    #: the Ed25519 key that signs audit checkpoints (BRANCHFLOW_AUDIT_KEY; kept outside the database)
    audit_key: Path | None = None
    #: the witness file checkpoints are appended to (BRANCHFLOW_CHECKPOINT_LOG), and how often one is made
    checkpoint_log: Path | None = None
    checkpoint_minutes: float = 60.0


@dataclass
class Services:
    """The collaborators of every use case."""

    settings: Settings
    clock: Clock
    uow: Callable[[], UnitOfWork]
    engine: Engine = field(init=False)
    #: warm workflows of recently stepped instances (``engine.cache``)
    workflows: WorkflowCache = field(init=False)
    _calendar: WorkCalendar = field(init=False)
    _bundles: dict[str, SpecBundle] = field(default_factory=dict, init=False)
    _current: dict[str, str] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    #: configured delivery channels by name (``service.notify``), built by ``build_services``
    channels: dict = field(default_factory=dict)
    _deadline_context: dict | None = field(default=None, init=False)

    def __post_init__(self):
        self._calendar = WorkCalendar(close_of_business=self.settings.close_of_business)
        policy = DeadlinePolicy(lambda: self._calendar, self.settings.reminder_hours,
                                self.settings.second_level_escalation)
        self.engine = Engine(policy)
        self.workflows = WorkflowCache(self.settings.workflow_cache)

    # -- calendar -----------------------------------------------------------------------

    @property
    def calendar(self) -> WorkCalendar:
        """The calendar in force (built-in years plus every loaded year)."""
        return self._calendar

    def use_calendar_years(self, schedules: list[YearSchedule]) -> None:
        """Replace the loaded years (called at start-up and after an admin loads a year)."""
        cal = WorkCalendar(close_of_business=self.settings.close_of_business)
        for schedule in schedules:
            cal = cal.with_year(schedule)
        self._calendar = cal
        self._deadline_context = None

    def deadline_context(self) -> dict:
        """Everything a deadline computed now depends on besides the instant: recorded with each state
        event so that replay computes the same due times (see ``flows.audit``)."""
        ctx = self._deadline_context
        if ctx is None:
            ctx = {"cob": self.settings.close_of_business.isoformat(timespec="minutes"),
                   "remind_h": self.settings.reminder_hours, "second": self.settings.second_level_escalation,
                   "builtin": [BUILTIN_YEARS[0], BUILTIN_YEARS[-1]],
                   "years": {str(y): s.sha256() for y, s in sorted(self._calendar.loaded_years.items())}}
            self._deadline_context = ctx
        return ctx

    # -- specs --------------------------------------------------------------------------

    def processes(self) -> list[str]:
        """Process ids deployed from ``bpmn/``."""
        return available_processes(self.settings.bpmn_dir)

    def current_bundle(self, process_id: str) -> SpecBundle:
        """The bundle deployed now for ``process_id`` (read from disk once per process)."""
        with self._lock:
            sha = self._current.get(process_id)
            if sha is None:
                xml, forms = read_bundle_files(self.settings.bpmn_dir, self.settings.forms_dir, process_id)
                bundle = parse_bundle(process_id, xml, forms)
                self._bundles.setdefault(bundle.sha256, bundle)
                self._current[process_id] = sha = bundle.sha256
            return self._bundles[sha]

    def pinned_bundle(self, sha: str, loader: Callable[[], tuple[str, str, dict]]) -> SpecBundle:
        """The bundle ``sha`` an instance pinned; ``loader`` reads it from the store on a cache miss."""
        with self._lock:
            bundle = self._bundles.get(sha)
        if bundle is None:
            process_id, xml, forms = loader()
            bundle = parse_bundle(process_id, xml, forms, pinned=True)
            if bundle.sha256 != sha:
                from ..domain.errors import BranchflowError

                raise BranchflowError(f"stored spec {sha[:12]} does not hash to its address")
            with self._lock:
                self._bundles.setdefault(sha, bundle)
        return bundle
