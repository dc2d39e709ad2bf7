"""Verify many instances: one after another, or spread over several processes, reports in id order.

Each worker process builds its own services (its own database connections) once, then verifies chunks of
instance ids in read transactions of their own; ``audit verify --jobs N`` prints every report as its chunk
comes back, in the same order a single process would."""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Callable, Iterator

from . import audit
from .context import Services

_WORKER: dict = {}


def instance_ids(svc: Services) -> list[str]:
    """Every instance id, oldest first."""
    with svc.uow() as uow:
        return uow.instances.all_ids()


def verify_ids(svc: Services, ids: list[str]) -> list[dict]:
    """Verify instances ``ids`` (each in its own read transaction); their reports as dicts."""
    out = []
    for instance_id in ids:
        with svc.uow() as uow:
            out.append(audit.verify_record(svc, audit.record_of(uow, uow.instances.get(instance_id))).to_dict())
    return out


def _start(build: Callable[[], Services]) -> None:
    _WORKER["svc"] = build()


def _chunk(ids: list[str]) -> list[dict]:
    return verify_ids(_WORKER["svc"], ids)


def verify_stream(svc: Services, build: Callable[[], Services], ids: list[str], jobs: int = 1,
                  chunk: int = 25) -> Iterator[dict]:
    """Reports of ``ids`` in order, as soon as each (or its chunk) is made; ``jobs`` > 1 spreads chunks over
    that many processes, each made by ``build`` (a picklable callable, e.g. ``partial(build_services, cfg)``)."""
    if jobs <= 1:
        for instance_id in ids:
            yield from verify_ids(svc, [instance_id])
        return
    chunks = [ids[i:i + chunk] for i in range(0, len(ids), chunk)]
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_start, initargs=(build,)) as pool:
        for reports in pool.map(_chunk, chunks):
            yield from reports
