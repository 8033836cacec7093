"""The clinic's operational core: clinics, staff, patients, episodes of care, audit."""

from __future__ import annotations

import datetime
import unicodedata
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField

from clinic import plausible_dates
from clinic.picture_fields import LogoField, logo_path


def validate_time_zone(name: str) -> None:
    # Checked against the installed tz database rather than stored as field choices, so a
    # tzdata update never produces a migration.
    if name not in zoneinfo.available_timezones():
        raise ValidationError("Choose a time zone from the list, such as America/Chicago.")


class PaperSize(models.TextChoices):
    LETTER = "letter", "Letter"
    A4 = "a4", "A4"


DEFAULT_CONSENT_TEXT = (
    "I agree that the clinic may use the information I give in this form to assess and treat me. "
    "I understand that it is kept confidential and stored securely, that only the clinic's staff "
    "can see it, and that I can ask for a copy or for corrections at any time."
)


DEFAULT_CANCELLATION_POLICY = (
    "If you cannot come, please cancel or change your visit at least 24 hours before, "
    "so another patient can have the time."
)


# Each divides an hour, so every hour of the calendar starts a row.
CALENDAR_SLOT_MINUTES = (5, 10, 15, 20, 30)


class Clinic(models.Model):
    name = models.CharField(max_length=120)
    address = models.TextField(max_length=500, blank=True)
    phone = PhoneNumberField(blank=True)
    email = models.EmailField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Branding, used on handouts and patient-facing pages.
    logo = LogoField(upload_to=logo_path, blank=True)
    accent_color = models.CharField(
        max_length=7,
        default="#1d5c7a",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1d5c7a.")],
    )
    handout_footer = models.CharField(max_length=300, blank=True)
    paper_size = models.CharField(max_length=6, choices=PaperSize.choices, default=PaperSize.LETTER)
    intake_consent_text = models.TextField(
        max_length=5000,
        default=DEFAULT_CONSENT_TEXT,
        help_text="Shown to patients on the consent step of the online intake.",
    )
    cancellation_policy = models.TextField(
        max_length=1000,
        blank=True,
        default=DEFAULT_CANCELLATION_POLICY,
        help_text="Printed in every appointment reminder, next to its confirm and cancel links.",
    )
    # No reminder goes out between these local times; product defaults, not clinical facts.
    quiet_hours_start = models.TimeField(
        default=datetime.time(21, 0), help_text="From this time (clinic's time zone) no reminders are sent."
    )
    quiet_hours_end = models.TimeField(
        default=datetime.time(8, 0), help_text="Reminders held back overnight go out from this time."
    )
    email_handout_attachment = models.BooleanField(
        "attach the home-program PDF to e-mails",
        default=False,
        help_text="Off: patients get a secure portal link only. On: the PDF is also attached to the e-mail.",
    )
    # How patients may change their own visits (portal, reminder links); clinic defaults, not
    # clinical facts. Cancelling stays open until the visit: a refused cancellation is a no-show.
    patient_change_notice_hours = models.PositiveSmallIntegerField(
        "patients may move a visit until (hours before it)",
        default=24,
        validators=[MaxValueValidator(720)],
        help_text="Closer to the visit, patients are asked to call the clinic instead.",
    )
    patient_reschedule_horizon_days = models.PositiveSmallIntegerField(
        "patients may move a visit up to (days ahead)",
        default=28,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="The latest new time a patient can choose, counted from today.",
    )
    # Clinicians and clinic admins always sign in with a second factor (clinic/two_factor/rules.py).
    front_desk_two_factor = models.BooleanField(
        "front desk signs in with a second factor",
        default=False,
        help_text="Clinicians and clinic admins always do. On: front-desk staff set up an authenticator app "
        "at their next sign-in and then enter a code from it each time.",
    )
    # Off by default: the 10-treatment-day progress report and the 90-day certified plan of care are US Medicare
    # Part B rules (clinic/thresholds.py has the interval and the period), not ones other payers or countries set.
    progress_reports = models.BooleanField(
        "track progress reports (US Medicare Part B)",
        default=False,
        help_text="On: the clinician's dashboard lists episodes due a progress report, counted in treatment days "
        "(the interval is a clinical threshold below, 10 by default, the US Medicare Part B rule), and a "
        "re-assessment can be recorded as the progress report. It also lists plans of care due a "
        "re-certification (certified for 90 days by default, a threshold below), and the re-certification is "
        "recorded from there. Other payers do not require them.",
    )
    calendar_slot_minutes = models.PositiveSmallIntegerField(
        "calendar slot minutes",
        choices=[(minutes, f"{minutes} minutes") for minutes in CALENDAR_SLOT_MINUTES],
        default=15,
        help_text="One row of the day and week calendars, and the step between the free times offered.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(calendar_slot_minutes__in=CALENDAR_SLOT_MINUTES), name="clinic_calendar_slot_minutes"
            ),
            models.CheckConstraint(
                condition=Q(patient_change_notice_hours__lte=720), name="clinic_patient_change_notice_range"
            ),
            models.CheckConstraint(
                condition=Q(patient_reschedule_horizon_days__gte=1, patient_reschedule_horizon_days__lte=365),
                name="clinic_patient_reschedule_horizon_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class ClinicThreshold(models.Model):
    """A clinic's own value for one threshold of ``clinic.thresholds.THRESHOLDS``."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="thresholds")
    key = models.CharField(max_length=64)
    value = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="clinic_threshold_unique")]

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"


def canonical_email(address: str) -> str:
    """The one spelling of a staff e-mail address, wherever one is stored or looked up: sign-in,
    the lockout's count of failures, the staff forms and the Django admin.

    Unicode compatibility forms folded (NFKC, as Django does for usernames: full-width letters
    become plain ones), surrounding spaces removed, lower case (Unicode-aware).
    """
    return unicodedata.normalize("NFKC", address).strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return canonical_email(email or "")

    def get_by_natural_key(self, username: str) -> User:
        # Stored addresses are canonical already; iexact also finds a row written before they were.
        return self.get(email__iexact=canonical_email(username))

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("Staff accounts need an e-mail address.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A staff member. Patients never log in with an account; they use signed links."""

    email = models.EmailField("e-mail address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="staff")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("Django admin access", default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # The database row, not the broker, records that the invitation is still owed.
    invitation_sent_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(
                condition=Q(is_superuser=True) | Q(clinic__isnull=False),
                name="user_staff_belongs_to_clinic",
                violation_error_message="Every staff account belongs to a clinic.",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = canonical_email(self.email)
        if User.objects.filter(email__iexact=self.email).exclude(pk=self.pk).exists():
            raise ValidationError({"email": "A staff account with this e-mail address already exists."})

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ClinicianProfile(models.Model):
    """What a clinician's handouts and signatures show about them."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="clinician_profile")
    credentials = models.CharField(max_length=80, blank=True, help_text="For example: DC, CCSP or PT, DPT.")
    license_number = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"{self.user.full_name}, {self.credentials}" if self.credentials else self.user.full_name


class Sex(models.TextChoices):
    # FHIR administrative-gender codes, so the export needs no mapping.
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Prefer not to say"


class ContactChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message (SMS)"


EARLIEST_BIRTH_DATE = plausible_dates.EARLIEST


def plausible_date_constraint(name: str, *fields: str, moment: bool = False) -> models.CheckConstraint:
    """The database's window of plausible dates (clinic/plausible_dates.py) for date fields, or
    for date-and-time fields (``moment``, compared in UTC); an empty (null) field passes."""
    start, end = plausible_dates.EARLIEST, plausible_dates.DATABASE_END
    if moment:
        start, end = (datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC) for day in (start, end))
    condition = Q()
    for field in fields:
        condition &= Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return models.CheckConstraint(
        condition=condition,
        name=name,
        violation_error_message="Check the year: the date is before 1900 or too far ahead.",
    )


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=7, choices=Sex.choices)
    email = models.EmailField("e-mail", blank=True)
    mobile_phone = PhoneNumberField(blank=True)
    preferred_contact_channel = models.CharField(
        max_length=5, choices=ContactChannel.choices, default=ContactChannel.EMAIL
    )
    contact_consent = models.BooleanField(
        default=False, help_text="The patient agrees to receive appointment and program messages."
    )
    # Set from the opt-out link in a reminder: no more reminders, while confirmations of
    # bookings and the home-program link still arrive.
    reminders_opted_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["clinic", "last_name", "first_name"], name="patient_clinic_name"),
            models.Index(fields=["clinic", "date_of_birth"], name="patient_clinic_dob"),
            models.Index(fields=["clinic", "mobile_phone"], name="patient_clinic_phone"),
        ]
        constraints = [
            plausible_date_constraint("patient_birth_date_plausible", "date_of_birth"),
            models.CheckConstraint(
                condition=~Q(preferred_contact_channel=ContactChannel.EMAIL, email=""),
                name="patient_email_channel_has_email",
                violation_error_message="Add an e-mail address, or choose text message as the contact channel.",
            ),
            models.CheckConstraint(
                condition=~Q(preferred_contact_channel=ContactChannel.SMS, mobile_phone=""),
                name="patient_sms_channel_has_phone",
                violation_error_message="Add a mobile phone number, or choose e-mail as the contact channel.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = "The date of birth cannot be in the future."
        elif self.date_of_birth and self.date_of_birth < EARLIEST_BIRTH_DATE:
            errors["date_of_birth"] = "Check the year: the date of birth is before 1900."
        if self.preferred_contact_channel == ContactChannel.EMAIL and not self.email:
            errors["email"] = "Add an e-mail address, or choose text message as the contact channel."
        if self.preferred_contact_channel == ContactChannel.SMS and not self.mobile_phone:
            errors["mobile_phone"] = "Add a mobile phone number, or choose e-mail as the contact channel."
        if errors:
            raise ValidationError(errors)

    def age_on(self, day: datetime.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class EpisodeStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISCHARGED = "discharged", "Discharged"


class EpisodeOfCare(models.Model):
    """One course of care for one complaint; a patient may have several over the years."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    presenting_complaint = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=EpisodeStatus.choices, default=EpisodeStatus.OPEN)
    lead_clinician = models.ForeignKey(User, on_delete=models.PROTECT, related_name="led_episodes")
    opened_on = models.DateField(default=timezone.localdate)
    closed_on = models.DateField(null=True, blank=True)
    # The start of the episode's latest visit checked in or completed, kept by clinic.scheduling on
    # every change of a visit: the lapsed list reads it rather than grouping every visit of the clinic.
    last_attended_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "episode of care"
        verbose_name_plural = "episodes of care"
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["lead_clinician", "status"], name="episode_clinician_status"),
            # Open episodes oldest first (the dashboards' "no next visit booked"): read in
            # order until enough are found, not sorted from every open episode of the clinic.
            models.Index(fields=["opened_on", "id"], condition=Q(status="open"), name="episode_open_oldest"),
            # The front desk's lapsed list: open episodes by their latest attended visit, never
            # attended last (PostgreSQL's ascending order), read in order until a page is found.
            models.Index(
                fields=["last_attended_at", "opened_on", "id"],
                condition=Q(status="open"),
                name="episode_open_last_attended",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=EpisodeStatus.OPEN, closed_on__isnull=True)
                | Q(status=EpisodeStatus.DISCHARGED, closed_on__isnull=False),
                name="episode_closed_on_matches_status",
                violation_error_message="A discharged episode needs a closing date; an open one has none.",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="episode_closes_after_opening",
                violation_error_message="The episode cannot close before it opened.",
            ),
            plausible_date_constraint("episode_dates_plausible", "opened_on", "closed_on"),
        ]
        permissions = [
            ("view_clinical_record", "Can view clinical content (intake answers, assessments, plans)"),
            ("change_clinical_record", "Can record and sign clinical content"),
        ]

    def __str__(self) -> str:
        return f"{self.presenting_complaint} (opened {self.opened_on:%Y-%m-%d})"

    @property
    def has_discharge_summary(self) -> bool:
        """Discharged with a summary (the notes app's discharge, one per episode), rather than
        closed before summaries existed. Read through the reverse accessor: the core imports no app."""
        return hasattr(self, "discharge")

    def clean(self) -> None:
        super().clean()
        today = timezone.localdate()
        if self.opened_on and self.opened_on > today:
            raise ValidationError({"opened_on": "The episode cannot open in the future."})
        if self.closed_on and self.closed_on > today:
            raise ValidationError({"closed_on": "The closing date cannot be in the future."})
        for name in ("opened_on", "closed_on"):
            day = getattr(self, name)
            if day and (problem := plausible_dates.problem(day, today)):
                raise ValidationError({name: problem})


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Append-only record of who read or changed which PHI, when and from where.

    Object and patient are plain ids, not foreign keys, so the trail outlives the rows it
    describes. The app never updates or deletes a row; database triggers refuse it too.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.BigIntegerField(null=True)
    patient_id = models.BigIntegerField(null=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Names of the fields that changed, never their values.
    changed_fields = models.JSONField(default=list, blank=True)
    # A staff account's roles before and after a change ({"old": [...], "new": [...]}): role
    # names, never patient data. Nullable without a default, so adding it rewrote no row.
    role_change = models.JSONField(null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient_id", "-at"], name="audit_patient_at")]
        permissions = [("view_audit_trail", "Can view patients' audit trails")]

    def __str__(self) -> str:
        # Shown by the Django admin to clinic admins: no action, which may be clinical detail.
        return f"{self.at:%Y-%m-%d %H:%M} audit event #{self.pk}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")


class AccountNotice(models.Model):
    """An e-mail owed to a staff member about a change to their own account (roles, e-mail
    address, password), described by its audit row; ``recipient`` is the address it goes to
    (an e-mail change also tells the old one).

    The row, not the broker, records that it is still owed: the sweep sends what a lost message
    left behind, and ``sent_at`` keeps a message from going twice.
    """

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="account_notices")
    recipient = models.EmailField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient"], name="account_notice_once_per_address"),
        ]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="account_notice_owed"),
        ]

    def __str__(self) -> str:
        return f"notice of {self.event.action} to {self.recipient}"


class ApiToken(models.Model):
    """A staff member's key for an integration that calls the API as them.

    Only the SHA-256 of the secret is stored, so a copy of the database opens nothing; the
    short prefix is the start of the secret, kept so an admin can tell tokens apart.
    """

    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What the token is for, such as the billing export.")
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A scope narrows what the owner's roles allow; it never adds to them. Off for new tokens,
    # so clinical records leave the clinic by an integration only when the token's owner, who
    # made it, says so (the constraint below).
    clinical_scope = models.BooleanField(
        "clinical records",
        default=False,
        help_text="Lets the token read intake answers, assessments, plans and the FHIR export, "
        "if its staff member may see them.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="api_token_hash_unique"),
            models.UniqueConstraint(
                fields=["owner", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_live_name_unique",
                violation_error_message="This staff member already has a token with this name; choose another.",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="api_token_has_name"),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
                violation_error_message="A token must expire after it is created.",
            ),
            # Whoever makes a token holds it: only the staff member it acts as may make it read
            # clinical records, or a clinic admin could read them as a clinician.
            models.CheckConstraint(
                condition=Q(clinical_scope=False) | Q(created_by=models.F("owner")),
                name="api_token_clinical_scope_by_owner",
                violation_error_message="Only the staff member a token acts as can give it access to clinical records.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def clinic_id(self) -> int | None:
        # The audit trail files the token under its owner's clinic.
        return self.owner.clinic_id

    @property
    def status(self) -> str:
        from clinic.api_tokens import token_status

        return token_status(revoked_at=self.revoked_at, expires_at=self.expires_at, now=timezone.now())


class ContactChangeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    KEPT_OLD = "kept_old", "Old details kept"
    REPLACED = "replaced", "Replaced by a later change"


class ContactChangeNotice(models.TextChoices):
    OWED = "owed", "To be sent"
    SENT = "sent", "Sent"
    NOT_SENT = "not_sent", "Not sent"
    FAILED = "failed", "Failed"


class ContactChange(models.Model):
    """Contact details a patient gave through a link (the intake), held until a front-desk
    user or clinician confirms them. Until then the patient record, and so every message,
    keeps the confirmed details, and those confirmed addresses are told (no details, no link)
    that a change was asked for: whoever holds a link cannot redirect the patient's messages."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="contact_changes")
    source = models.CharField(max_length=20, default="intake")
    email = models.EmailField("e-mail", blank=True)
    mobile_phone = PhoneNumberField(blank=True)
    preferred_contact_channel = models.CharField(max_length=5, choices=ContactChannel.choices)
    # What the record held when the change was asked for: shown beside it, and told.
    old_email = models.EmailField(blank=True)
    old_mobile_phone = PhoneNumberField(blank=True)
    old_preferred_contact_channel = models.CharField(max_length=5, choices=ContactChannel.choices)
    proposed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=ContactChangeStatus.choices, default=ContactChangeStatus.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The confirmed addresses told, one outbox message each; ``notice`` is the copy of their
    # outcome the message module keeps.
    notice_channels = models.JSONField(default=list, blank=True)
    notice = models.CharField(max_length=10, choices=ContactChangeNotice.choices, default=ContactChangeNotice.OWED)
    notice_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status=ContactChangeStatus.PENDING),
                name="one_pending_contact_change_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(status=ContactChangeStatus.PENDING, decided_at__isnull=True)
                | (~Q(status=ContactChangeStatus.PENDING) & Q(decided_at__isnull=False)),
                name="contact_change_decided_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Contact change for patient {self.patient_id}"


class WorkerHeartbeat(models.Model):
    """When a worker last ran the heartbeat task beat queues: one row, rewritten each time.

    A fresh heartbeat shows the whole chain that background work needs is up (beat queuing,
    the broker delivering, a worker consuming); ``/readyz`` reports a stale one.
    """

    ran_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="worker_heartbeat_one_row")]

    def __str__(self) -> str:
        return f"worker heartbeat at {self.ran_at:%Y-%m-%d %H:%M:%S}"
