"""Pure rules of the clinic core: plain values in, plain values out."""

from __future__ import annotations

import datetime


def episode_closed_on(status: str, closed_on: datetime.date | None, today: datetime.date) -> datetime.date | None:
    """The closing date an episode should carry: none while open, today if discharged undated."""
    if status == "open":
        return None
    return closed_on or today


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
