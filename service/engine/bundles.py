"""The spec bundles this process knows: the one deployed now for each process (read from ``bpmn/`` and
``forms/`` once), and every bundle an instance pinned (parsed once, from the store, on first use)."""
from __future__ import annotations

import threading
from typing import Callable

from ..domain.errors import BranchflowError
from .specs import SpecBundle, available_processes, parse_bundle, read_bundle_files


class BundleCache:
    """Parsed bundles by content address; safe to share between a worker's threads."""

    def __init__(self, settings):
        self._settings = settings  # bpmn_dir, forms_dir and dmn_dir are read at each deployment
        self._bundles: dict[str, SpecBundle] = {}
        self._current: dict[str, str] = {}
        self._lock = threading.Lock()

    def processes(self) -> list[str]:
        """Process ids deployed from ``bpmn/``."""
        return available_processes(self._settings.bpmn_dir)

    def current(self, process_id: str) -> SpecBundle:
        """The bundle deployed now for ``process_id`` (read from disk once per process)."""
        with self._lock:
            sha = self._current.get(process_id)
            if sha is None:
                xml, forms = read_bundle_files(self._settings.bpmn_dir, self._settings.forms_dir, process_id,
                                               getattr(self._settings, "dmn_dir", None))
                bundle = parse_bundle(process_id, xml, forms)
                self._bundles.setdefault(bundle.sha256, bundle)
                self._current[process_id] = sha = bundle.sha256
            return self._bundles[sha]

    def pinned(self, sha: str, loader: Callable[[], tuple[str, str, dict]]) -> SpecBundle:
        """The bundle ``sha`` an instance pinned; ``loader`` reads it from the store on a cache miss."""
        with self._lock:
            bundle = self._bundles.get(sha)
        if bundle is None:
            process_id, xml, forms = loader()
            bundle = parse_bundle(process_id, xml, forms, pinned=True)
            if bundle.sha256 != sha:
                raise BranchflowError(f"stored spec {sha[:12]} does not hash to its address")
            with self._lock:
                self._bundles.setdefault(sha, bundle)
        return bundle

    def redeploy(self) -> None:
        """Read the deployed diagrams and forms again on next use (pinned bundles stay)."""
        with self._lock:
            self._current.clear()

    def clear(self) -> None:
        """Forget every parsed bundle (as a fresh process would start)."""
        with self._lock:
            self._bundles.clear()
            self._current.clear()
