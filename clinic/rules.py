"""Pure rules of the clinic core: plain values in, plain values out."""

from __future__ import annotations

import datetime
from dataclasses import dataclass


def episode_closed_on(status: str, closed_on: datetime.date | None, today: datetime.date) -> datetime.date | None:
    """The closing date an episode should carry: none while open, today if discharged undated."""
    if status == "open":
        return None
    return closed_on or today


# --- Contact details a patient changes through a link ----------------------------------------


@dataclass(frozen=True)
class ContactDetails:
    email: str
    mobile_phone: str
    channel: str  # "email" or "sms"


@dataclass(frozen=True)
class ContactDecision:
    """What to do with contact details a patient gave through a link."""

    apply_now: bool  # only the channel changed, to an address already confirmed: take it at once
    hold: bool  # an address changed: keep it pending until the front desk or a clinician confirms it
    tell: tuple[str, ...]  # the channels of the confirmed addresses to tell that a change was asked for


def contact_decision(current: ContactDetails, proposed: ContactDetails) -> ContactDecision:
    """Whoever holds a patient's link can type any address. A new or changed e-mail address or
    mobile number is therefore held for a staff member to confirm, and the addresses the clinic
    has confirmed are told (each address that would be replaced; when none is, because the
    patient only added one, the address messages go to now). A change of channel alone only
    chooses between addresses already confirmed, so it applies at once."""
    email_changed = proposed.email != current.email
    phone_changed = proposed.mobile_phone != current.mobile_phone
    if not (email_changed or phone_changed):
        return ContactDecision(apply_now=proposed.channel != current.channel, hold=False, tell=())
    tell = []
    if email_changed and current.email:
        tell.append("email")
    if phone_changed and current.mobile_phone:
        tell.append("sms")
    if not tell:
        tell.append(current.channel)
    return ContactDecision(apply_now=False, hold=True, tell=tuple(tell))


def own_account_change_problem(
    *, roles_before: set[str], roles_after: set[str], stays_active: bool, admin_role: str
) -> str | None:
    """Why a staff member may not make this change to their own account; None when they may.

    A role is always given by someone else (another clinic admin), so nobody widens their own
    access, e.g. an admin reaching clinical records. An admin keeps their own admin role and
    account, so a slip never leaves the clinic without one.
    """
    if roles_after - roles_before:
        return "You cannot give yourself a role; ask another clinic admin."
    if admin_role in roles_before and (admin_role not in roles_after or not stays_active):
        return "You cannot remove your own admin role or deactivate yourself; ask another admin."
    return None
