"""Score bands: labels of the band codes, and the thresholds as functions for expressions of bundles
pinned before the rule tables.

The thresholds and the plaque weights a process runs on are decision tables (``dmn/*.dmn``) pinned with
its spec bundle: a new table is a new bundle, and an instance replays with the tables it started on.
``assessment_band`` stays callable for the pairing's ``rate`` script until that is a business rule task,
and ``plaque_composite`` (rounded) for the plaque ratings pinned before the tables; both must keep these
thresholds, which the tests check against the tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Band:
    """A named band: scores ``>= floor`` (and below the next band's floor) fall in it."""

    code: str
    label: str
    floor: float


#: quarterly pairing assessment (DOMAIN.md lifecycle 1, step 5)
ASSESSMENT_BANDS = (
    Band("meets", "达标", 80.0),
    Band("needs_improvement", "待改进", 60.0),
    Band("fail", "不达标（重新制定方案）", float("-inf")),
)

#: quarterly plaque rating (DOMAIN.md, 亮牌)
PLAQUE_BANDS = (
    Band("model", "示范牌", 90.0),
    Band("standard", "达标牌", 70.0),
    Band("striving", "争先牌", float("-inf")),
)


#: a member's monthly duty score (党员标准化责任认领: 满分100分，85分以上为履职优秀，60-84分为履职合格，60分以下为履职不达标)
DUTY_BANDS = (
    Band("excellent", "履职优秀", 85.0),
    Band("qualified", "履职合格", 60.0),
    Band("failing", "履职不达标", float("-inf")),
)


def _band(bands: tuple[Band, ...], score: float) -> Band:
    score = float(score)
    if not 0.0 <= score <= 100.0:
        raise ValueError(f"score {score} outside 0–100")
    for band in bands:
        if score >= band.floor:
            return band
    raise AssertionError("bands must end with -inf")


def assessment_band(score: float) -> str:
    """Band code of a quarterly assessment score: meets / needs_improvement / fail."""
    return _band(ASSESSMENT_BANDS, score).code


def plaque_band(composite: float) -> str:
    """Plaque code of a composite score: model / standard / striving."""
    return _band(PLAQUE_BANDS, composite).code


def duty_scored(scores: list, codes: list | None = None) -> list:
    """Each ``{member, score, …}`` of a month's scoring with its ``band`` and Chinese ``band_label``: ``codes``
    are the bands the decision table (dmn/member_score_band.dmn) gave each score, in order; without them
    (scorings pinned before the table) the bands are computed here."""
    if codes is None:
        codes = [_band(DUTY_BANDS, item["score"]).code for item in scores]
    if len(codes) != len(scores):
        raise ValueError(f"{len(codes)} bands for {len(scores)} scores")
    labels = {band.code: band.label for band in DUTY_BANDS}
    return [dict(item, band=code, band_label=labels[code]) for item, code in zip(scores, codes)]


def band_label(code: str) -> str:
    """Chinese label of any band code."""
    for band in ASSESSMENT_BANDS + PLAQUE_BANDS + DUTY_BANDS:
        if band.code == code:
            return band.label
    raise KeyError(code)


def plaque_composite(star: float, inspection: float, pairing: float) -> float:
    """Composite = star 40 % + peer inspection 30 % + pairing effect 30 %, rounded to 2 places (the rule
    of plaque ratings pinned before the decision tables; new ones band on ``weighted_score``)."""
    return round(0.4 * float(star) + 0.3 * float(inspection) + 0.3 * float(pairing), 2)


def weighted_score(scores: list, weights_percent: list) -> float:
    """Σ score × weight / 100, computed exactly in decimal (no rounding before banding): 40/30/30 of
    90, 89.99, 90 is 89.997, not 90."""
    if len(scores) != len(weights_percent):
        raise ValueError("one weight per score")
    total = sum((Decimal(repr(float(s))) * Decimal(repr(float(w))) for s, w in zip(scores, weights_percent)), Decimal(0))
    return float(total / 100)
