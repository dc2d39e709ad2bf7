"""Everything a use case needs, built once by ``create_app`` and passed in (no globals)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Callable

from ..domain.clock import Clock
from ..engine.bundles import BundleCache
from ..engine.cache import WorkflowCache
from ..engine.runner import Engine
from ..engine.scripts import DeadlinePolicy
from ..store.uow import UnitOfWork
from .deadlines import CalendarInForce

ROOT = Path(__file__).resolve().parents[2]


def data_dir(name: str) -> Path:
    """``bpmn``, ``forms``, ``dmn`` or ``calendar``: the checkout's top-level folder, or else the copy an installed
    wheel carries in ``service/_data/`` (setup.py puts it there)."""
    if (ROOT / "pyproject.toml").is_file() and (ROOT / name).is_dir():
        return ROOT / name
    return Path(__file__).resolve().parents[1] / "_data" / name


@dataclass
class Settings:
    """Tunable behaviour; ``service.config`` fills it from the environment."""

    bpmn_dir: Path = field(default_factory=lambda: data_dir("bpmn"))
    forms_dir: Path = field(default_factory=lambda: data_dir("forms"))
    #: decision tables (``dmn/<decision id>.dmn``) the diagrams' business rule tasks call
    dmn_dir: Path = field(default_factory=lambda: data_dir("dmn"))
    calendar_dir: Path = field(default_factory=lambda: data_dir("calendar"))
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
    #: channels a notice of each new 待办 goes to for people who chose nothing (BRANCHFLOW_NEW_TASK_CHANNELS)
    new_task_channels: tuple[str, ...] = ()
    #: how often the scheduler opens the 党员责任认领 periods the calendar has current (``claiming.open_due``;
    #: BRANCHFLOW_DUTY_CALENDAR_MINUTES; 0: never, periods are then opened by hand)
    duty_calendar_minutes: float = 5.0
    #: the web app's address as people reach it (BRANCHFLOW_BASE_URL): messages link to the task
    base_url: str | None = None


@dataclass
class Services:
    """The collaborators of every use case, wired once by ``create_app`` (cosmicpython's ``bootstrap``): no
    behaviour of its own."""

    settings: Settings
    clock: Clock
    uow: Callable[[], UnitOfWork]
    #: the working-day calendar in force and the deadline context events record (``flows.deadlines``)
    calendars: CalendarInForce = field(init=False)
    #: parsed spec bundles, deployed and pinned (``engine.bundles``)
    bundles: BundleCache = field(init=False)
    engine: Engine = field(init=False)
    #: warm workflows of recently stepped instances (``engine.cache``)
    workflows: WorkflowCache = field(init=False)
    #: configured delivery channels by name (``service.notify``), built by ``build_services``
    channels: dict = field(default_factory=dict)

    def __post_init__(self):
        self.calendars = CalendarInForce(self.settings)
        self.bundles = BundleCache(self.settings)
        policy = DeadlinePolicy(lambda: self.calendars.current, self.settings.reminder_hours,
                                self.settings.second_level_escalation)
        self.engine = Engine(policy)
        self.workflows = WorkflowCache(self.settings.workflow_cache)
