"""The exam's sections, in the screen's order, and which of them a visit accounts for.

Pure Python (no Django). Completing an assessment needs every section either recorded or marked
"not tested", so that a section left empty is never read as normal. The visit's own details (date,
pain today, ROM device and mode) and the optional outcome questionnaires are not exam sections.
"""

from __future__ import annotations

from assessments.findings import ExamInput

SECTIONS: tuple[tuple[str, str], ...] = (
    ("rom", "Hip range of motion"),
    ("fms", "Functional Movement Screen"),
    ("leg_length", "Leg length"),
    ("special_tests", "Special tests"),
    ("running_form", "Running form"),
)
SECTION_LABELS: dict[str, str] = dict(SECTIONS)

# Shown on the screen and in the API, under the section's "not tested" mark.
UNACCOUNTED = "Neither recorded nor marked not tested: record it, or tick “Not tested” (a reason is optional)."
MARKED_BUT_RECORDED = "Marked not tested, but values are recorded in this section: clear them or untick “Not tested”."


def recorded(exam: ExamInput, *, form_notes: str = "") -> frozenset[str]:
    """The sections with anything entered. A special test counts once it has a result, negative
    included; running form counts with a fault ticked, a cadence or a note, since "no fault seen"
    has no box of its own."""
    found = set()
    if any(reading.left is not None or reading.right is not None for reading in exam.rom):
        found.add("rom")
    if any(value is not None for value in exam.fms_raw.values()) or any(exam.fms_clearing.values()):
        found.add("fms")
    lengths = (exam.true_left, exam.true_right, exam.apparent_left, exam.apparent_right)
    if any(value is not None for value in lengths):
        found.add("leg_length")
    if any(test.result != "not_tested" for sides in exam.special_tests.values() for test in sides.values()):
        found.add("special_tests")
    if any(exam.running_form.values()) or exam.cadence is not None or form_notes:
        found.add("running_form")
    return frozenset(found)


def unaccounted(exam: ExamInput, *, form_notes: str = "") -> list[str]:
    """Codes of the sections neither recorded nor marked not tested, in the screen's order."""
    done = recorded(exam, form_notes=form_notes)
    return [code for code, _ in SECTIONS if code not in done and code not in exam.not_tested]


def contradicted(exam: ExamInput, *, form_notes: str = "") -> list[str]:
    """Codes of the sections marked not tested that nevertheless hold recorded values."""
    done = recorded(exam, form_notes=form_notes)
    return [code for code, _ in SECTIONS if code in done and code in exam.not_tested]


def not_completed_message(codes: list[str]) -> str:
    names = ", ".join(SECTION_LABELS[code] for code in codes)
    return f"Not completed: record each section or mark it not tested. Neither is done for: {names}."
