"""The "Outcome measures" form of an assessment: HOS (ADL, Sport), iHOT-12 and VISA-G entered score-only from the
clinic's licensed paper form (item scores or the form's total), and the PSFS's activities re-rated (DOMAIN A
"Hip/tendon PROMs", "PSFS"; B5.4, B12.4). Every problem is a message beside its field; what was typed stays."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms

from clinic import text_input, thresholds
from intake import instruments, scoring
from intake.instruments import HOS_ADL, HOS_SPORT, IHOT12, NOT_APPLICABLE, PSFS, VISA_G

SCORE_ONLY = (HOS_ADL, HOS_SPORT, IHOT12)
# Short names in labels, so that an error summary line says which measure's item it is.
SHORT = {"hos_adl": "HOS ADL", "hos_sport": "HOS sport", "ihot12": "iHOT-12"}
PSFS_NAME_LENGTH = 100


def item_field(instrument: str, item: str) -> str:
    return f"{instrument}_{item}"


def total_field(instrument: str) -> str:
    return f"{instrument}_total"


def name_field(item: str) -> str:
    return f"psfs_{item}_name"


@dataclass(frozen=True)
class Entry:
    """One measure as entered: the raw answers, its score, and the detail kept with it."""

    answers: dict
    result: scoring.Score
    detail: dict


def _number_input() -> forms.NumberInput:
    return forms.NumberInput(attrs={"inputmode": "numeric"})


class OutcomeMeasuresForm(text_input.Form):
    def __init__(self, *args, limits: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = limits or thresholds.for_clinic(None)
        hos_choices = [("", "—"), *[(str(option.value), option.label) for option in HOS_ADL.items[0].options]]
        hos_choices.append((NOT_APPLICABLE, "Not applicable"))
        for instrument in SCORE_ONLY:
            for number, item in enumerate(instrument.items, start=1):
                if instrument.scoring == "hos":
                    field = forms.ChoiceField(
                        label=f"{SHORT[instrument.code]} item {number}", choices=hos_choices, required=False
                    )
                else:
                    field = forms.IntegerField(
                        label=f"{SHORT[instrument.code]} item {number}",
                        min_value=0,
                        max_value=100,
                        required=False,
                        widget=_number_input(),
                    )
                self.fields[item_field(instrument.code, item.code)] = field
            low, high = instrument.total_range
            unit = " %" if instrument.scoring == "hos" else ""
            self.fields[total_field(instrument.code)] = forms.DecimalField(
                label=f"{SHORT[instrument.code]}: or the total only",
                required=False,
                max_digits=5,
                decimal_places=2,
                help_text=f"{low}–{high}{unit}, as worked out on the paper form.",
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
            )
        self.fields[total_field(VISA_G.code)] = forms.IntegerField(
            label="VISA-G total",
            min_value=0,
            max_value=100,
            required=False,
            help_text="0–100, 100 is best.",
            widget=_number_input(),
        )
        for number, item in enumerate(PSFS.items, start=1):
            self.fields[name_field(item.code)] = forms.CharField(
                label=f"PSFS activity {number}", max_length=PSFS_NAME_LENGTH, required=False
            )
            self.fields[item_field(PSFS.code, item.code)] = forms.TypedChoiceField(
                label=f"PSFS activity {number}: rating",
                choices=[("", "—"), *[(str(option.value), option.label) for option in item.options]],
                coerce=int,
                empty_value=None,
                required=False,
            )
        self.entries: dict[str, Entry | None] = {}

    # --- Layout --------------------------------------------------------------------------------------------

    def score_only_sections(self):
        """(instrument, its item fields, its total field) for HOS ADL, HOS Sport and iHOT-12."""
        return [
            (
                instrument,
                [self[item_field(instrument.code, item.code)] for item in instrument.items],
                self[total_field(instrument.code)],
            )
            for instrument in SCORE_ONLY
        ]

    def visag_total(self):
        return self[total_field(VISA_G.code)]

    def psfs_rows(self):
        return [(self[name_field(item.code)], self[item_field(PSFS.code, item.code)]) for item in PSFS.items]

    # --- Reading --------------------------------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        for instrument in SCORE_ONLY:
            self.entries[instrument.code] = self._score_only(instrument, cleaned)
        total = cleaned.get(total_field(VISA_G.code))
        if total is not None:
            answers = {"total": total}
            self.entries[VISA_G.code] = Entry(answers, scoring.score(VISA_G, answers), {})
        elif total_field(VISA_G.code) not in self.errors:
            self.entries[VISA_G.code] = None
        self.entries[PSFS.code] = self._psfs(cleaned)
        return cleaned

    def _score_only(self, instrument: instruments.Instrument, cleaned: dict) -> Entry | None:
        names = [item_field(instrument.code, item.code) for item in instrument.items]
        if any(name in self.errors for name in [*names, total_field(instrument.code)]):
            return None
        raw = {item.code: cleaned.get(name) for item, name in zip(instrument.items, names, strict=True)}
        answers = {code: _answer(value) for code, value in raw.items()}
        total = cleaned.get(total_field(instrument.code))
        given = any(value is not None for value in answers.values())
        if given and total is not None:
            self.add_error(total_field(instrument.code), "Enter the item scores or the total, not both.")
            return None
        if total is not None:
            try:
                result = scoring.score_total(instrument, Decimal(total))
            except ValueError as error:
                self.add_error(total_field(instrument.code), str(error))
                return None
            return Entry({}, result, dict(result.detail))
        if not given:
            return None
        result = scoring.score(
            instrument,
            answers,
            hos_max_unanswered=int(self.limits["hos_max_unanswered"]),
            ihot12_max_unanswered=int(self.limits["ihot12_max_unanswered"]),
        )
        if not result.scored:
            first_missing = next(name for name, value in zip(names, answers.values(), strict=True) if value is None)
            reason = result.display.removeprefix("Not scored: ")
            self.add_error(
                first_missing, f"{instrument.name} cannot be scored: {reason}. Enter the missing items or the total."
            )
            return None
        return Entry(answers, result, {})

    def _psfs(self, cleaned: dict) -> Entry | None:
        ratings: dict[str, int | None] = {}
        activities: dict[str, str] = {}
        for item in PSFS.items:
            name_key, rating_key = name_field(item.code), item_field(PSFS.code, item.code)
            if name_key in self.errors or rating_key in self.errors:
                return None
            name = " ".join((cleaned.get(name_key) or "").split())
            rating = cleaned.get(rating_key)
            if name and rating is None:
                self.add_error(rating_key, "Rate this activity from 0 to 10, or clear its name.")
            elif rating is not None and not name:
                self.add_error(name_key, "Name the activity this rating is for.")
            if name:
                activities[item.code] = name
            ratings[item.code] = rating
        if any(name_field(item.code) in self.errors for item in PSFS.items) or any(
            item_field(PSFS.code, item.code) in self.errors for item in PSFS.items
        ):
            return None
        if not activities:
            return None
        result = scoring.score(PSFS, ratings)
        return Entry(ratings, result, {**result.detail, "activities": activities})


def _answer(value: object) -> int | str | None:
    """A HOS choice ("4" ... "0", "na") or an iHOT-12 mark as the engine reads it."""
    if value in (None, ""):
        return None
    if value == NOT_APPLICABLE or isinstance(value, int):
        return value
    return int(value)


def initial_from(rows, earlier_psfs: dict | None) -> dict:
    """The form's initial values from the assessment's saved measures (``OutcomeScore`` rows); with no PSFS saved
    yet, the activities the patient named last time (``earlier_psfs``: a PSFS score's detail), to re-rate."""
    initial: dict = {}
    psfs_saved = False
    for row in rows:
        if row.instrument == PSFS.code:
            psfs_saved = True
            for code, name in (row.detail.get("activities") or {}).items():
                initial[name_field(code)] = name
            for code, rating in row.answers.items():
                initial[item_field(PSFS.code, code)] = rating
        elif row.instrument == VISA_G.code:
            initial[total_field(VISA_G.code)] = row.answers.get("total")
        elif row.instrument in {instrument.code for instrument in SCORE_ONLY}:
            if row.detail.get("entered_as") == "total":
                initial[total_field(row.instrument)] = row.value
            for code, value in row.answers.items():
                initial[item_field(row.instrument, code)] = "" if value is None else str(value)
    if not psfs_saved and earlier_psfs:
        for code, name in (earlier_psfs.get("activities") or {}).items():
            initial[name_field(code)] = name
    return initial
