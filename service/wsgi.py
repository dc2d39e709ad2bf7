"""WSGI entry for gunicorn (``service.wsgi:app``): the web API from ``BRANCHFLOW_*``, without the ticker.

Timers fire in the separate ``branchflow scheduler`` process (any number of them may run: sweeps
claim rows with ``FOR UPDATE SKIP LOCKED``), so web workers stay stateless and can be killed any time.
Log records go to standard error as JSON lines (``BRANCHFLOW_LOG_FORMAT``, ``BRANCHFLOW_LOG_LEVEL``).
"""
from __future__ import annotations

from .app import create_app
from .config import Config, configure_logging

_config = Config.from_env()
_config.scheduler = False
configure_logging(_config.log_level, _config.log_format)
app = create_app(_config)
