"""What the readiness tests share: a check's form as posted, every item passing, and a recorded check."""

from __future__ import annotations

from decimal import Decimal

from running import readiness
from running.services import readiness as services
from tests.factories import clinic_today


def passing_post(**changes) -> dict:
    """The check form as a clinician posts it with every criterion passed, recording "start"."""
    data = {
        "checked_on": clinic_today().isoformat(),
        "pain_now": "1",
        "involved_side": "right",
        "reach_left_anterior": "80",
        "reach_right_anterior": "72",
        "reach_left_posteromedial": "90",
        "reach_right_posteromedial": "81",
        "reach_left_posterolateral": "90",
        "reach_right_posterolateral": "81",
        "hos_adl": "96",
        "hos_sport": "91",
        "decision": "start",
        "override_reason": "",
        "next_check_on": "",
        "action": "record",
    }
    for criterion in readiness.CRITERIA:
        prefix = f"item-{criterion.key}"
        if criterion.kind == readiness.TASK and criterion.target is not None:
            data[f"{prefix}-value"] = str(criterion.target)
        elif criterion.kind == readiness.TASK:
            data[f"{prefix}-met"] = "yes"
        if criterion.control:
            data[f"{prefix}-pelvic_control"] = "ok"
    data.update(changes)
    return data


def passing_entry(**values) -> services.Entry:
    """The same check as the service takes it."""
    items = readiness.passing_items()
    base = {
        "checked_on": clinic_today(),
        "pain_now": 1,
        "involved_side": "right",
        "reach_left_anterior": Decimal(80),
        "reach_right_anterior": Decimal(72),
        "hos_adl": Decimal(96),
        "hos_sport": Decimal(91),
        "decision": "start",
        "override_reason": "",
        "next_check_on": None,
    }
    return services.Entry(values={**base, **values}, items=items)


def record_check(clinician, episode, **values):
    return services.check_record(actor=clinician, episode=episode, entry=passing_entry(**values))
