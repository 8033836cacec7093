"""Questionnaires defined as data: items, options, scoring rule, better direction and licence state.

Pure Python (no Django). The scoring engine in ``intake.scoring`` reads ``Instrument.scoring`` and
the option values; item text never affects a score, so a clinic can install its licensed wording
with ``with_licensed_text`` and keep the same scores (DOMAIN A "Questionnaires"; B5.6).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

# The answer "not applicable" on an item that allows it (HOS, DOMAIN B12.4): answered, but not scored.
NOT_APPLICABLE = "na"

# Marks text we ship in place of wording we may not (or have not confirmed we may) ship.
# ``with_licensed_text`` refuses to return a "licensed" instrument that still contains it.
PLACEHOLDER_MARK = "[placeholder"

SCORING_RULES = ("odi", "lefs", "nprs", "hos", "ihot12", "visag", "psfs")
BETTER_DIRECTIONS = ("lower", "higher")
TEXT_STATUSES = ("own_wording", "placeholder", "licensed")


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    options: tuple[Option, ...]
    optional: bool = False  # e.g. ODI "sex life (if applicable)": leaving it out still counts as complete
    allows_na: bool = False  # HOS: "not applicable" is an answer, stored as NOT_APPLICABLE and not scored

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)


@dataclass(frozen=True)
class Instrument:
    code: str  # "nprs", "odi", "lefs"
    name: str  # "Oswestry Disability Index"
    version: str  # e.g. "2.1a" for the ODI structure; "own wording v1" for NPRS
    items: tuple[Item, ...]
    scoring: str  # "odi" | "lefs" | "nprs": the rule in intake.scoring
    better: str  # "lower" | "higher"
    text_status: str  # "own_wording" | "placeholder" | "licensed"
    instructions: str  # plain-language instruction shown to the patient
    # Score-only instruments whose total may be entered instead of the items (the paper form's own total):
    # the total's (low, high); None when only items are entered.
    total_range: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.scoring not in SCORING_RULES:
            raise ValueError(f"{self.code}: unknown scoring rule {self.scoring!r}")
        if self.better not in BETTER_DIRECTIONS:
            raise ValueError(f"{self.code}: better must be one of {BETTER_DIRECTIONS}, not {self.better!r}")
        if self.text_status not in TEXT_STATUSES:
            raise ValueError(f"{self.code}: unknown text status {self.text_status!r}")
        codes = [item.code for item in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.code}: item codes must be unique")

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(f"{self.code} has no item {code!r}")


# --- NPRS -----------------------------------------------------------------------------------------
# DOMAIN B5.3 (S170): 11 points, 0 = no pain, 10 = worst imaginable. Generic scale: we write our own
# wording (DOMAIN B5.6). DOMAIN A asks for "now, best, worst in 24 h"; "best" is asked as "least pain".

_NPRS_OPTIONS = tuple(
    Option(value, {0: "0 – no pain", 10: "10 – worst pain imaginable"}.get(value, str(value))) for value in range(11)
)

NPRS = Instrument(
    code="nprs",
    name="Numeric Pain Rating Scale",
    version="own wording v1",
    items=(
        Item("now", "How bad is your pain right now?", _NPRS_OPTIONS),
        Item("least", "In the last 24 hours, how bad was your pain at its least?", _NPRS_OPTIONS),
        Item("worst", "In the last 24 hours, how bad was your pain at its worst?", _NPRS_OPTIONS),
    ),
    scoring="nprs",
    better="lower",
    text_status="own_wording",
    instructions=(
        "Choose one number for each question. 0 means no pain at all and 10 means the worst pain you can imagine."
    ),
)

# --- ODI ------------------------------------------------------------------------------------------
# DOMAIN B5.1 (S90, S91): 10 sections, 6 statements each scored 0-5, version 2.1a. The statements are
# licensed through Mapi Research Trust and must not be shipped (DOMAIN B5.6, S91): placeholders only.
# Every section may be skipped; the scoring rule decides whether enough were answered. The recall
# period "today" is from S90; the instruction below is our own wording.

_ODI_SECTIONS = (
    ("pain_intensity", "Pain intensity"),
    ("personal_care", "Personal care"),
    ("lifting", "Lifting"),
    ("walking", "Walking"),
    ("sitting", "Sitting"),
    ("standing", "Standing"),
    ("sleeping", "Sleeping"),
    ("sex_life", "Sex life (if applicable)"),
    ("social_life", "Social life"),
    ("travelling", "Travelling"),
)


def _odi_placeholder_label(value: int) -> str:
    suffix = {0: ", least disability", 5: ", most disability"}.get(value, "")
    return f"{value} – [placeholder statement {value}{suffix}]"


_ODI_OPTIONS = tuple(Option(value, _odi_placeholder_label(value)) for value in range(6))

ODI = Instrument(
    code="odi",
    name="Oswestry Disability Index",
    version="2.1a",
    items=tuple(
        Item(
            code,
            f"Section {number} – {title} [placeholder: the licensed ODI wording is not installed]",
            _ODI_OPTIONS,
            optional=(code == "sex_life"),
        )
        for number, (code, title) in enumerate(_ODI_SECTIONS, start=1)
    ),
    scoring="odi",
    better="lower",
    text_status="placeholder",
    instructions=(
        "Each section describes how your back or leg pain affects one part of your daily life. "
        "In each section, choose the one statement that best describes you today. "
        "You may leave out a section that does not apply to you."
    ),
)

# --- LEFS -----------------------------------------------------------------------------------------
# DOMAIN B5.2 (S97, S98): 20 activities rated 0 (extreme difficulty / unable) to 4 (no difficulty),
# higher is better. DOMAIN does not give the item text and the licence for embedding it in commercial
# software is unverified (B5.2, B5.6): placeholder item text. The labels for 1-3 are generic anchors;
# 0 and 4 are as DOMAIN states them. DOMAIN.md is silent on the LEFS recall period: none is stated.

_LEFS_OPTIONS = (
    Option(0, "Extreme difficulty or unable to perform"),
    Option(1, "Quite a bit of difficulty"),
    Option(2, "Moderate difficulty"),
    Option(3, "A little bit of difficulty"),
    Option(4, "No difficulty"),
)

LEFS = Instrument(
    code="lefs",
    name="Lower Extremity Functional Scale",
    version="1999 (20 items)",
    items=tuple(
        Item(
            f"activity_{number:02d}",
            f"Activity {number} of 20 [placeholder: the LEFS wording is not installed]",
            _LEFS_OPTIONS,
        )
        for number in range(1, 21)
    ),
    scoring="lefs",
    better="higher",
    text_status="placeholder",
    instructions=(
        "For each activity, choose how much difficulty you have with it because of the problem in your hip or leg."
    ),
)

# --- Hip and tendon measures (score-only entry) ------------------------------------------------------
# DOMAIN A "Hip/tendon PROMs", B12.4: HOS, iHOT-12 and VISA-G are entered by the clinician from the clinic's
# licensed paper form, item scores or the form's total; the licence is unverified, so no item text is shipped
# (placeholders name the item's number only) and the engine is the same either way (B5.6).

_SCORE_ONLY = " [placeholder: the licensed wording is not shipped; enter the score from the paper form]"

# DOMAIN B12.4 (S231): responses 4 ("no difficulty") to 0 ("unable to do"); "not applicable" is not scored.
# Labels for 1-3 are the bare numbers: DOMAIN.md gives only the two ends.
_HOS_OPTIONS = tuple(
    Option(value, {4: "4 – no difficulty", 0: "0 – unable to do"}.get(value, str(value))) for value in range(4, -1, -1)
)


def _hos(code: str, name: str, subscale: str, count: int) -> Instrument:
    return Instrument(
        code=code,
        name=name,
        version=f"{count} scored items",
        items=tuple(
            Item(
                f"item_{number:02d}", f"{subscale} item {number} of {count}{_SCORE_ONLY}", _HOS_OPTIONS, allows_na=True
            )
            for number in range(1, count + 1)
        ),
        scoring="hos",
        better="higher",
        text_status="placeholder",
        instructions="Enter each scored item from the patient's paper form (4 no difficulty to 0 unable), "
        "or not applicable; or enter the subscale's percentage only.",
        total_range=(0, 100),
    )


# DOMAIN B12.4 (S231): ADL has 19 items of which 17 are scored (sitting and socks/shoes are not); Sport 9.
# Only the scored items are entered.
HOS_ADL = _hos("hos_adl", "Hip Outcome Score – activities of daily living", "ADL", 17)
HOS_SPORT = _hos("hos_sport", "Hip Outcome Score – sport", "Sport", 9)

# DOMAIN B12.4 (S234): 12 items, each a VAS 0-100 between two anchors; total = mean; 100 = best. Entered in
# whole points (the mark's position on a 100 mm line).
_VAS_OPTIONS = tuple(Option(value, str(value)) for value in range(101))

IHOT12 = Instrument(
    code="ihot12",
    name="International Hip Outcome Tool (iHOT-12)",
    version="12 items",
    items=tuple(
        Item(f"item_{number:02d}", f"Item {number} of 12{_SCORE_ONLY}", _VAS_OPTIONS) for number in range(1, 13)
    ),
    scoring="ihot12",
    better="higher",
    text_status="placeholder",
    instructions="Enter each item's mark from the patient's paper form (0-100), or the total (their mean) only.",
    total_range=(0, 100),
)

# DOMAIN B12.4 (S240, S241): VISA-G follows the VISA format (0-100, 100 = perfect); its exact items and scoring
# were not retrieved (unverified), so only the form's total is entered: one "item", the total itself.
VISA_G = Instrument(
    code="visag",
    name="VISA-G (gluteal tendinopathy)",
    version="total only",
    items=(Item("total", f"VISA-G total, 0-100{_SCORE_ONLY}", _VAS_OPTIONS),),
    scoring="visag",
    better="higher",
    text_status="placeholder",
    instructions="Enter the total from the patient's scored paper form (0-100, 100 is best).",
)

# DOMAIN A "PSFS", B5.4 (S103): the patient names up to 3 activities they find hard and rates each 0 (unable)
# to 10 (as before the problem); the score is the mean. Instructions only, in our own wording (B5.6): the
# activities are the patient's words, kept beside the ratings (not part of the score).
PSFS_ACTIVITIES = 3
_PSFS_OPTIONS = tuple(
    Option(value, {0: "0 – unable to do it", 10: "10 – as well as before the problem"}.get(value, str(value)))
    for value in range(11)
)

PSFS = Instrument(
    code="psfs",
    name="Patient-Specific Functional Scale",
    version="own wording v1",
    items=tuple(
        Item(f"activity_{number}", f"Activity {number}", _PSFS_OPTIONS, optional=True)
        for number in range(1, PSFS_ACTIVITIES + 1)
    ),
    scoring="psfs",
    better="higher",
    text_status="own_wording",
    instructions=(
        "Name up to three everyday activities that are hard for you because of your problem, for example "
        "running downhill or climbing stairs. For each, choose a number: 0 means you cannot do it at all "
        "and 10 means you can do it as well as before the problem."
    ),
)

HIP_MEASURES = (HOS_ADL, HOS_SPORT, IHOT12, VISA_G, PSFS)

INSTRUMENTS: dict[str, Instrument] = {instrument.code: instrument for instrument in (NPRS, ODI, LEFS, *HIP_MEASURES)}

# Short names for the items where a whole question would be too long (clinician forms and records); kept
# apart from the item text, which a clinic may replace with licensed wording.
ITEM_LABELS: dict[str, dict[str, str]] = {
    "nprs": {"now": "pain now", "least": "least pain in 24 h", "worst": "worst pain in 24 h"},
    "odi": {code: title.lower() for code, title in _ODI_SECTIONS},
    "lefs": {item.code: f"activity {number}" for number, item in enumerate(LEFS.items, start=1)},
    "hos_adl": {item.code: f"ADL item {number}" for number, item in enumerate(HOS_ADL.items, start=1)},
    "hos_sport": {item.code: f"sport item {number}" for number, item in enumerate(HOS_SPORT.items, start=1)},
    "ihot12": {item.code: f"item {number}" for number, item in enumerate(IHOT12.items, start=1)},
    "visag": {"total": "total"},
    "psfs": {item.code: f"activity {number}" for number, item in enumerate(PSFS.items, start=1)},
}


def item_label(instrument_code: str, item_code: str) -> str:
    return f"{instrument_code.upper()} {ITEM_LABELS[instrument_code][item_code]}"


def with_licensed_text(
    instrument: Instrument,
    texts: Mapping[str, str],
    option_labels: Mapping[str, Sequence[str]] | None = None,
    *,
    instructions: str | None = None,
) -> Instrument:
    """A copy of ``instrument`` carrying a clinic's licensed wording; codes, values and scoring are unchanged.

    ``texts`` maps item code to item text; ``option_labels`` maps item code to one label per option,
    in option order. Raises ValueError for an unknown item code, a blank text, the wrong number of
    labels, or when any placeholder text would remain (a "licensed" instrument never shows one).
    """
    option_labels = option_labels or {}
    known = set(instrument.item_codes)
    unknown = sorted((set(texts) | set(option_labels)) - known)
    if unknown:
        raise ValueError(f"{instrument.code} has no item(s): {', '.join(unknown)}")

    items = []
    for item in instrument.items:
        text = texts.get(item.code, item.text)
        if not text.strip():
            raise ValueError(f"{instrument.code}.{item.code}: item text is blank")
        options = item.options
        if item.code in option_labels:
            labels = list(option_labels[item.code])
            if len(labels) != len(item.options):
                raise ValueError(
                    f"{instrument.code}.{item.code}: {len(labels)} option labels given, {len(item.options)} needed"
                )
            if any(not label.strip() for label in labels):
                raise ValueError(f"{instrument.code}.{item.code}: an option label is blank")
            options = tuple(Option(option.value, label) for option, label in zip(item.options, labels, strict=True))
        items.append(replace(item, text=text, options=options))

    new_instructions = instructions if instructions is not None else instrument.instructions
    if not new_instructions.strip():
        raise ValueError(f"{instrument.code}: instructions are blank")
    leftover = [
        item.code
        for item in items
        if PLACEHOLDER_MARK in item.text or any(PLACEHOLDER_MARK in option.label for option in item.options)
    ]
    if leftover:
        raise ValueError(f"{instrument.code}: placeholder text remains for item(s): {', '.join(leftover)}")
    return replace(instrument, items=tuple(items), text_status="licensed", instructions=new_instructions)


# --- Body regions ---------------------------------------------------------------------------------

_REGIONS = (
    ("low_back", "Low back"),
    ("buttock", "Buttock"),
    ("hip_front", "Front of hip (groin)"),
    ("hip_side", "Side of hip (outer hip)"),
    ("thigh_back", "Back of thigh"),
    ("thigh_front", "Front of thigh"),
    ("lower_leg", "Lower leg"),
)

BODY_REGIONS: tuple[tuple[str, str], ...] = tuple(
    (f"{code}_{side}", f"{label} – {side}") for code, label in _REGIONS for side in ("left", "right")
)
BODY_REGION_LABELS: dict[str, str] = dict(BODY_REGIONS)

# DOMAIN.md is silent on mapping body regions to instruments. The issue says ODI for back pain and
# LEFS for hip/leg pain; the buttock is counted as back.
BACK_REGIONS = frozenset(code for code in BODY_REGION_LABELS if code.startswith(("low_back_", "buttock_")))
LOWER_LIMB_REGIONS = frozenset(BODY_REGION_LABELS) - BACK_REGIONS


def _checked_regions(regions: Iterable[str]) -> set[str]:
    selected = set(regions)
    unknown = sorted(selected - set(BODY_REGION_LABELS))
    if unknown:
        raise ValueError(f"Unknown body region(s): {', '.join(unknown)}")
    return selected


def involves_back(regions: Iterable[str]) -> bool:
    """True when any selected region counts as back (low back or buttock, as above)."""
    return bool(_checked_regions(regions) & BACK_REGIONS)


def instruments_for_regions(regions: Iterable[str]) -> list[Instrument]:
    """NPRS always; ODI for any back region; LEFS for any hip, thigh or lower-leg region. Order nprs, odi, lefs.

    Raises ValueError for a region code not in BODY_REGIONS.
    """
    selected = _checked_regions(regions)
    chosen = [INSTRUMENTS["nprs"]]
    if selected & BACK_REGIONS:
        chosen.append(INSTRUMENTS["odi"])
    if selected & LOWER_LIMB_REGIONS:
        chosen.append(INSTRUMENTS["lefs"])
    return chosen
