"""A signed plan as a typed value: ``SignedPlan.of(version)`` reads a ``PlanVersion``'s body once.

Pure Python (no Django). The body is the JSON ``plans.services.snapshot`` stored when the version was signed; it
is never rewritten, so bodies signed before a field existed lack it and read it as empty here (as
``plans.versions.diff`` does). Everything a page, the handout, the portal, the schedule or the export needs from a
signed plan comes from this value, with the facts derived from it (its days, its home program, the visits it calls
for) stated once.

A plan's days are product rules (DOMAIN.md is silent): it runs from the day it was signed, in the clinic's calendar,
for its ``weeks``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plans import run_programs
from plans.library import PRONG_ORDER, Prong

if TYPE_CHECKING:
    from plans.models import PlanVersion


def plan_last_day(first_day: datetime.date, weeks: int) -> datetime.date:
    """The last day of a plan of ``weeks`` weeks that starts on ``first_day``."""
    return first_day + datetime.timedelta(days=weeks * 7 - 1)


@dataclass(frozen=True)
class SignedClinician:
    name: str
    credentials: str


@dataclass(frozen=True)
class SignedItem:
    """One intervention as it was signed. ``illustration`` is a reference (``media:<name>`` or
    ``static:<path>``, see ``plans.services._illustration``), empty when there is no picture."""

    intervention: str  # the library key, empty for an item with none
    name: str
    prong: Prong
    dosage: str  # the dosage as one text, as signed
    sets: int | None
    reps: str
    hold_seconds: str
    frequency: str
    instructions: str
    progression: str  # patient-facing
    cautions: str  # patient-facing
    home_program: bool
    because: tuple[str, ...]
    illustration: str
    override_contraindication: str  # the overridden contraindications' keys, comma-separated
    override_reason: str  # the clinician's reason for the override
    # Bodies signed before these were recorded lack them.
    override_contraindication_reason: str = ""  # what the overridden contraindications said when overridden
    override_by: str = ""  # the name of the clinician who overrode them
    side: str = ""  # "left" / "right" for an item done on one side
    side_note: str = ""  # which side, in the patient's words, as signed

    @classmethod
    def of(cls, item: Mapping) -> SignedItem:
        return cls(
            intervention=item.get("intervention") or "",
            name=item["name"],
            prong=Prong(item["prong"]),
            dosage=item.get("dosage") or "",
            sets=item.get("sets"),
            reps=item.get("reps") or "",
            hold_seconds=item.get("hold_seconds") or "",
            frequency=item.get("frequency") or "",
            instructions=item.get("instructions") or "",
            progression=item.get("progression") or "",
            cautions=item.get("cautions") or "",
            home_program=bool(item.get("home_program")),
            because=tuple(item.get("because") or ()),
            illustration=item.get("illustration") or "",
            override_contraindication=item.get("override_contraindication") or "",
            override_reason=item.get("override_reason") or "",
            override_contraindication_reason=item.get("override_contraindication_reason") or "",
            override_by=item.get("override_by") or "",
            side=item.get("side") or "",
            side_note=item.get("side_note") or "",
        )

    @property
    def overridden(self) -> bool:
        """Kept in the plan although a contraindication excluded it, with the clinician's reason."""
        return bool(self.override_contraindication or self.override_reason)


@dataclass(frozen=True)
class SignedExclusion:
    """An item a contraindication kept out when the version was signed, for the red flags and findings then."""

    name: str
    reason: str
    hard: bool  # could not be overridden
    because: tuple[str, ...]

    @classmethod
    def of(cls, entry: Mapping) -> SignedExclusion:
        return cls(
            name=entry.get("name") or entry.get("intervention") or "",
            reason=entry.get("reason") or "",
            hard=bool(entry.get("hard")),
            because=tuple(entry.get("because") or ()),
        )


def _reasons(value: object) -> dict[str, str]:
    """Reasons for a prong left out, by prong; early bodies stored them as [{"prong", "reason"}]."""
    if not value:
        return {}
    if isinstance(value, Mapping):
        return {str(prong): str(reason) for prong, reason in value.items()}
    return {str(entry.get("prong")): str(entry.get("reason") or "") for entry in value}


@dataclass(frozen=True)
class SignedRunProgram:
    """The walk-run program as signed: its phase table and its rules for the runner."""

    key: str
    name: str
    version: int
    phases: tuple[Mapping, ...]
    rules: tuple[str, ...]
    source: str
    low_quality: bool

    @classmethod
    def of(cls, entry: Mapping | None) -> SignedRunProgram | None:
        if not entry:
            return None
        return cls(
            key=entry.get("key") or "",
            name=entry.get("name") or "",
            version=int(entry.get("version") or 1),
            phases=tuple(entry.get("phases") or ()),
            rules=tuple(entry.get("rules") or ()),
            source=entry.get("source") or "",
            low_quality=bool(entry.get("low_quality")),
        )

    @property
    def rows(self) -> list[dict]:
        return run_programs.rows(self.phases)


@dataclass(frozen=True)
class SignedPlan:
    """What a signed version says, typed, with the facts derived from it."""

    signed_at: datetime.datetime  # aware
    clinician: SignedClinician
    visits_per_week: int
    weeks: int
    goals: tuple[str, ...]
    running_advice: tuple[str, ...]  # patient-facing
    referrals: tuple[str, ...]  # as the red flags and clearances stood at the signature
    excluded: tuple[SignedExclusion, ...]  # likewise
    missing_prong_reasons: Mapping[str, str]  # prong value -> why the clinician left it out
    clinician_notes: tuple[str, ...]  # the generator's reminders for the clinician, as drafted; not patient-facing
    items: tuple[SignedItem, ...]  # in signed order (by prong, then the clinician's order)
    return_to_run: SignedRunProgram | None = None  # the walk-run program, when the version has one

    @classmethod
    def of(cls, version: PlanVersion) -> SignedPlan:
        body = version.body
        clinician = body.get("clinician") or {}
        return cls(
            signed_at=version.signed_at,
            clinician=SignedClinician(name=clinician.get("name") or "", credentials=clinician.get("credentials") or ""),
            visits_per_week=int(body["visits_per_week"]),
            weeks=int(body["weeks"]),
            goals=tuple(body.get("goals") or ()),
            running_advice=tuple(body.get("running_advice") or ()),
            referrals=tuple(body.get("referrals") or ()),
            excluded=tuple(SignedExclusion.of(entry) for entry in body.get("excluded") or ()),
            missing_prong_reasons=_reasons(body.get("missing_prong_reasons")),
            clinician_notes=tuple(body.get("clinician_notes") or ()),
            items=tuple(SignedItem.of(item) for item in body.get("items") or ()),
            return_to_run=SignedRunProgram.of(body.get("return_to_run")),
        )

    @property
    def home_items(self) -> tuple[SignedItem, ...]:
        """The patient's home program in its frozen order; check-ins index into this."""
        return tuple(item for item in self.items if item.home_program)

    @property
    def overrides(self) -> tuple[SignedItem, ...]:
        """The items kept against a contraindication: clinical record, never on the patient's handout."""
        return tuple(item for item in self.items if item.overridden)

    def items_in(self, prong: Prong) -> tuple[SignedItem, ...]:
        return tuple(item for item in self.items if item.prong == prong)

    @property
    def by_prong(self) -> tuple[tuple[Prong, tuple[SignedItem, ...], str], ...]:
        """(prong, its items, the reason given when it has none), for each prong in plan order."""
        return tuple(
            (prong, self.items_in(prong), self.missing_prong_reasons.get(prong.value, "")) for prong in PRONG_ORDER
        )

    @property
    def planned_visits(self) -> int:
        return self.visits_per_week * self.weeks

    @property
    def ends_at(self) -> datetime.datetime:
        """The moment the plan's weeks are over, counted from the signature."""
        return self.signed_at + datetime.timedelta(weeks=self.weeks)

    def first_day(self, zone: datetime.tzinfo) -> datetime.date:
        """The day it was signed, in the clinic's calendar (``zone``)."""
        return self.signed_at.astimezone(zone).date()

    def last_day(self, zone: datetime.tzinfo) -> datetime.date:
        return plan_last_day(self.first_day(zone), self.weeks)
