"""Read queries of the intake."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from clinic import permissions
from clinic.models import EpisodeOfCare, User
from clinic.signed_links import LinkProblem
from intake import instruments, tokens
from intake.models import Intake, IntakeInvitation, IntakeStatus, RedFlag


def invitation_for_link(link_token: str) -> tuple[IntakeInvitation | None, LinkProblem | None]:
    """The invitation a link opens, or why it opens nothing."""
    return tokens.LINKS.find(IntakeInvitation.objects.select_related("intake__episode__patient__clinic"), link_token)


class DeskStatus(StrEnum):
    NOT_SENT = "Not sent"
    SENDING = "Sending"
    SENT = "Sent"
    OPENED = "Opened"
    IN_PROGRESS = "In progress"
    SUBMITTED = "Submitted"
    EXPIRED = "Expired"
    REVOKED = "Link revoked"


def desk_status(intake: Intake | None, invitation: IntakeInvitation | None) -> DeskStatus:
    """What the front desk may know of an intake: its progress, never its answers."""
    if intake is not None and intake.status == IntakeStatus.SUBMITTED:
        return DeskStatus.SUBMITTED
    if invitation is None:
        return DeskStatus.NOT_SENT
    if invitation.revoked_at is not None:
        return DeskStatus.REVOKED
    if invitation.expires_at <= timezone.now():
        return DeskStatus.EXPIRED
    if invitation.sent_at is None:
        return DeskStatus.SENDING
    if intake.status == IntakeStatus.IN_PROGRESS:
        return DeskStatus.IN_PROGRESS
    return DeskStatus.OPENED if invitation.opened_at else DeskStatus.SENT


def latest_invitation(intake: Intake | None) -> IntakeInvitation | None:
    return intake.invitations.first() if intake is not None else None


def intake_of(episode: EpisodeOfCare) -> Intake | None:
    """The episode's intake: no query if the episode was loaded with it (``select_related``)."""
    return getattr(episode, "intake", None)


@dataclass(frozen=True)
class PlanningFacts:
    """What a treatment plan is drafted from, out of a submitted intake: plans read these, never
    the answers. Empty (nothing reported) while the episode has no submitted intake."""

    load_facts: tuple[str, ...] = ()  # codes of the load facts derived on submit (intake.rules.load_facts)
    back_pain: bool = False  # a region that counts as back was marked (instruments.involves_back)
    lower_limb_pain: bool = False  # a hip, thigh or lower-leg region was marked
    scores: Mapping[str, Decimal] = field(default_factory=dict)  # scored questionnaires, by instrument code


def planning_facts(episode: EpisodeOfCare) -> PlanningFacts:
    intake = getattr(episode, "intake", None)
    if intake is None or not intake.is_submitted:
        return PlanningFacts()
    regions = intake.answers.get("complaint", {}).get("regions", [])
    return PlanningFacts(
        load_facts=tuple(fact["code"] for fact in intake.load_facts),
        back_pain=instruments.involves_back(regions),
        lower_limb_pain=bool(set(regions) & instruments.LOWER_LIMB_REGIONS),
        scores={score.instrument: score.value for score in intake.scores.filter(scored=True)},
    )


def open_red_flags(episode: EpisodeOfCare) -> QuerySet[RedFlag]:
    return episode.red_flags.filter(cleared_at__isnull=True)


def episodes_with_open_red_flags(*, user: User, lead_clinician: User | None = None) -> QuerySet[EpisodeOfCare]:
    """Urgent work for clinicians: open episodes whose red flags nobody has cleared yet."""
    if not permissions.can_view_clinical_records(user):
        return EpisodeOfCare.objects.none()
    open_flags = RedFlag.objects.filter(cleared_at__isnull=True)
    episodes = (
        permissions.scoped_episodes(user)
        .filter(Exists(open_flags.filter(episode=OuterRef("pk"))))
        .select_related("patient", "lead_clinician")
        .prefetch_related(Prefetch("red_flags", queryset=open_flags, to_attr="open_flags"))
        .order_by("-id")
    )
    if lead_clinician is not None:
        episodes = episodes.filter(lead_clinician=lead_clinician)
    return episodes


def pending_intakes(*, user: User) -> QuerySet[Intake]:
    """Intakes sent and not yet submitted, with their latest invitation, for the front desk."""
    return (
        Intake.objects.filter(episode__in=permissions.scoped_episodes(user))
        .exclude(status=IntakeStatus.SUBMITTED)
        .filter(Exists(IntakeInvitation.objects.filter(intake=OuterRef("pk"))))
        .select_related("episode__patient")
        .prefetch_related(Prefetch("invitations", queryset=IntakeInvitation.objects.order_by("-created_at", "-id")))
        .order_by("-id")
    )
