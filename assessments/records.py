"""What one visit records besides the exam, as a typed value: the assessment form (HTML and API)
returns it with the exam's ``findings.ExamInput``, and ``services.assessment_save`` stores both."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

from intake import instruments

# Re-scored at visits from the patient's paper form (DOMAIN B5.6 "score-only" mode).
OUTCOME_INSTRUMENTS = (instruments.ODI, instruments.LEFS)


@dataclass(frozen=True)
class Visit:
    assessed_on: datetime.date
    rom_device: str  # models.RomDevice
    rom_mode: str  # models.RomMode
    pain_today: int | None = None  # NPRS 0-10: an outcome measure, not a finding
    form_notes: str = ""
    # {instrument code: {item code: option value or None}} for OUTCOME_INSTRUMENTS; an instrument
    # with no answer has its score removed.
    outcomes: Mapping[str, Mapping[str, int | None]] = field(default_factory=dict)
