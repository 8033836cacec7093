"""Damaged files never escape as an exception: random byte flips and truncations of the
generated files either read as a run or fail with a message for the runner."""

from __future__ import annotations

import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from running import devices
from running.devices import DeviceFileError, metrics
from running.devices.fit_writer import run_fit
from tests.running.files_fixtures import gpx, tcx

ORIGINALS = {
    "fit": run_fit(seconds=60, pause=(30, 10)),
    "gpx": gpx(seconds=120),
    "tcx": tcx(seconds=120),
}
NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)


@st.composite
def damaged(draw):
    kind = draw(st.sampled_from(sorted(ORIGINALS)))
    data = bytearray(ORIGINALS[kind])
    for _ in range(draw(st.integers(0, 8))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return kind, bytes(data)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_a_damaged_file_reads_or_fails_plainly(case):
    kind, data = case
    outcome = _outcome(kind, data)
    assert outcome
    assert "Traceback" not in outcome


def _outcome(kind: str, data: bytes) -> str:
    """The runner's message, or "run" when the file still reads as one."""
    try:
        result = metrics.compute(devices.parse(kind, data), zone=datetime.UTC, now=NOW)
    except DeviceFileError as refused:
        return refused.message
    return "run" if result.moving_s >= 1 else ""
