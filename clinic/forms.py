from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from clinic import phone_display, rules, selectors, services, text_input, thresholds, time_zones
from clinic.models import Clinic, EpisodeOfCare, EpisodeStatus, Patient, User, canonical_email
from clinic.permissions import Role
from clinic.services import PATIENT_FIELDS
from domain.citations import readable


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class StaffEmailField(forms.EmailField):
    """A staff member's e-mail address, in the one spelling sign-in and the lockout use."""

    def to_python(self, value):
        return canonical_email(super().to_python(value))


class LoginForm(text_input.RefuseControlCharacters, AuthenticationForm):
    username = StaffEmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": "That e-mail address and password do not match an active account.",
        "inactive": "This account is not active. Ask your clinic admin.",
    }


class OwnPasswordSetForm(SetPasswordForm):
    """The invitation or reset link's form (the link proves the owner), saved by the audited
    service, which also tells the owner by e-mail."""

    def save(self, commit=True):
        return services.staff_password_set(user=self.user, password=self.cleaned_data["new_password1"])


class OwnPasswordChangeForm(PasswordChangeForm):
    """The signed-in staff member's own password change, saved by the audited service."""

    def save(self, commit=True):
        return services.staff_password_set(user=self.user, password=self.cleaned_data["new_password1"])


class PatientForm(text_input.ModelForm):
    mobile_phone = PhoneNumberField(
        required=False,
        help_text="Include the area code, e.g. (555) 201-0134 or +1 555 201 0134.",
        widget=RegionalPhoneNumberWidget(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {
            "date_of_birth": DateInput(attrs={"max": timezone.localdate}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "preferred_contact_channel": forms.RadioSelect,
        }


class PatientSearchForm(text_input.Form):
    q = forms.CharField(
        label="Find a patient",
        max_length=100,
        required=False,
        help_text="Name, date of birth (YYYY-MM-DD) or mobile number.",
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class EpisodeForm(text_input.ModelForm):
    # Empty until the form knows whose clinic it is for.
    lead_clinician = forms.ModelChoiceField(queryset=User.objects.none())

    class Meta:
        model = EpisodeOfCare
        fields = ["presenting_complaint", "lead_clinician", "opened_on"]
        widgets = {"opened_on": DateInput()}
        help_texts = {"presenting_complaint": "In a few words, e.g. “Right hip pain when running”."}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_clinician"].queryset = selectors.clinicians_of(user=user)


class EpisodeEditForm(EpisodeForm):
    class Meta(EpisodeForm.Meta):
        fields = ["presenting_complaint", "lead_clinician", "opened_on", "status", "closed_on"]
        widgets = {"opened_on": DateInput(), "closed_on": DateInput(), "status": forms.RadioSelect}
        help_texts = {"closed_on": "Filled in with today when you leave it empty."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only an episode closed before discharge summaries existed is reopened or redated here.
        if self.instance.status == EpisodeStatus.OPEN or self.instance.has_discharge_summary:
            del self.fields["status"], self.fields["closed_on"]

    def clean(self):
        cleaned = super().clean()
        if "status" in cleaned:
            cleaned["closed_on"] = rules.episode_closed_on(
                cleaned["status"], cleaned.get("closed_on"), timezone.localdate()
            )
        return cleaned


ROLE_CHOICES = [(role.value, role.value) for role in Role]


class StaffForm(text_input.Form):
    email = StaffEmailField(label="E-mail address", max_length=254)
    full_name = forms.CharField(max_length=150)
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Clinicians see clinical records; front desk sees demographics and the schedule; "
        "clinic admins manage staff, templates and settings.",
    )
    credentials = forms.CharField(
        max_length=80, required=False, help_text="Shown on handouts for clinicians, e.g. DC, CCSP."
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A staff account with this e-mail address already exists.")
        return email

    def cleaned_roles(self) -> list[Role]:
        return [Role(value) for value in self.cleaned_data["roles"]]


class StaffEditForm(StaffForm):
    is_active = forms.BooleanField(required=False, label="Account is active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["email"]


class ClinicSettingsForm(text_input.ModelForm):
    time_zone = forms.ChoiceField(help_text="Your clinic's country is listed first, then each part of the world.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zones.choices(
            phone_display.clinic_region(self.instance), current=self.instance.time_zone
        )
        self.fields["calendar_slot_minutes"].required = False

    def clean_logo(self):
        # "Remove" ticked: an empty name clears the field in ``services.clinic_update``.
        logo = self.cleaned_data.get("logo")
        return "" if logo is False else logo

    def clean_calendar_slot_minutes(self):
        # A form sent without it (one from before the setting existed) keeps the clinic's value.
        return self.cleaned_data.get("calendar_slot_minutes") or self.instance.calendar_slot_minutes

    class Meta:
        model = Clinic
        fields = [
            "name",
            "address",
            "phone",
            "email",
            "time_zone",
            "accent_color",
            "logo",
            "handout_footer",
            "paper_size",
            "intake_consent_text",
            "cancellation_policy",
            "patient_change_notice_hours",
            "patient_reschedule_horizon_days",
            "quiet_hours_start",
            "quiet_hours_end",
            "calendar_slot_minutes",
            "email_handout_attachment",
            "front_desk_two_factor",
            "progress_reports",
        ]
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "cancellation_policy": forms.Textarea(attrs={"rows": 3}),
            "accent_color": forms.TextInput(attrs={"type": "color"}),
            "address": forms.Textarea(attrs={"rows": 3}),
        }


class ThresholdsForm(text_input.Form):
    """One field per clinical threshold, with its unit, range and source as help."""

    def __init__(self, *args, current: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for threshold in thresholds.THRESHOLDS:
            help_text = (
                f"Default {threshold.default} {threshold.unit}. Source: {readable(threshold.source)}. {threshold.help}"
            )
            self.fields[threshold.key] = forms.DecimalField(
                label=f"{threshold.label} ({threshold.unit})",
                min_value=threshold.minimum,
                max_value=threshold.maximum,
                max_digits=8,
                decimal_places=2,
                initial=current[threshold.key],
                help_text=help_text.strip(),
            )


class ApiTokenForm(text_input.Form):
    """A new API token: a clinic admin's for a colleague (``owners`` to choose from), or one's
    own (no ``owners``). The clinical-records tick only on one's own, for someone who may see
    clinical records (``clinical``): nobody else may give it."""

    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Staff member",
        help_text="The token acts as this person, with their roles; it sees what they see, except clinical "
        "records: only they can give their own token that access.",
    )
    name = forms.CharField(max_length=80, label="Name", help_text="What the token is for, such as “billing export”.")
    expires_on = forms.DateField(
        required=False,
        widget=DateInput(),
        label="Valid until",
        help_text="The token stops working at the end of this day (clinic time). Leave empty for no expiry.",
    )
    clinical_scope = forms.BooleanField(
        required=False,
        label="May read clinical records",
        help_text="Intake answers, assessments, plans and the FHIR export, as you may see them. Tick it only "
        "for an integration that needs them, such as the hospital's records system.",
    )

    def __init__(self, *args, clinic: Clinic, owners=None, clinical: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners
            self.fields["owner"].label_from_instance = lambda user: f"{user.full_name} ({user.email})"
        if not clinical:
            del self.fields["clinical_scope"]
        self.clinic = clinic

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.localdate(timezone=self.clinic.zone):
            raise forms.ValidationError("Choose today or a later day, or leave it empty.")
        return day

    def cleaned_expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data["expires_on"]
        if day is None:
            return None
        return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=self.clinic.zone)
