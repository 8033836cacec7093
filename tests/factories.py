"""factory_boy factories: synthetic people only, and their clinical records made through the services."""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from decimal import Decimal

import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from assessments import services as assessment_services
from assessments.findings import SPECIAL_TESTS
from assessments.forms import AssessmentForm
from assessments.models import Assessment, AssessmentKind
from assessments.scoring import DEFAULT_POSITIONS
from clinic.models import Clinic, ClinicianProfile, EpisodeOfCare, Patient, User
from clinic.permissions import Role
from clinic.scheduling.models import Appointment
from plans import services as plan_services
from plans.models import TreatmentPlan

PASSWORD = "correct-horse-battery-staple"


@functools.cache
def _password_hash() -> str:
    # Hashing once keeps Argon2's deliberate slowness out of every factory call.
    return make_password(PASSWORD)


CLINIC_ZONE = "America/Chicago"


def clinic_today(clinic: Clinic | None = None) -> datetime.date:
    """Today where the clinic is (the factories' clinic's zone unless another clinic is given): the
    day the app dates things by, a day ahead of the server's UTC date in the clinic's evening."""
    return timezone.localdate(timezone=clinic.zone if clinic is not None else zoneinfo.ZoneInfo(CLINIC_ZONE))


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Stride Clinic {n}")
    time_zone = CLINIC_ZONE
    phone = "+13125550100"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.test")
    full_name = factory.Faker("name")
    clinic = factory.SubFactory(ClinicFactory)
    password = factory.LazyFunction(_password_hash)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=[Role(role).value for role in extracted]))
            if Role.CLINICIAN in extracted:
                ClinicianProfile.objects.get_or_create(user=self, defaults={"credentials": "DC"})
            if Role.CLINIC_ADMIN in extracted:
                # As services.staff_create does: clinic admins may use the Django admin.
                self.is_staff = True
                self.save(update_fields=["is_staff"])


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker(
        "date_between", start_date=datetime.date(1950, 1, 1), end_date=datetime.date(2005, 12, 31)
    )
    sex = "female"
    email = factory.Sequence(lambda n: f"patient{n}@example.test")
    mobile_phone = factory.Sequence(lambda n: f"+1312555{n % 10000:04d}")
    contact_consent = True


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EpisodeOfCare

    patient = factory.SubFactory(PatientFactory)
    presenting_complaint = "Low back pain after long runs"
    # The clinic's date, as a page would set it: in UTC it is already tomorrow on a US evening.
    opened_on = factory.LazyAttribute(lambda o: timezone.localdate(timezone=o.patient.clinic.zone))
    lead_clinician = factory.SubFactory(
        UserFactory, clinic=factory.SelfAttribute("..patient.clinic"), roles=[Role.CLINICIAN]
    )


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    episode = factory.SubFactory(EpisodeFactory)
    clinician = factory.SelfAttribute("episode.lead_clinician")
    starts_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(minutes=45))


# --- Clinical records, through the services the pages call ----------------------------------------


def days_ago(days: int) -> datetime.date:
    # Counted from the factories' clinic's day, which the visits and pages count from; two days
    # of margin keep the date in the past in every other clinic time zone.
    return clinic_today() - datetime.timedelta(days=days)


BASELINE_DAY = days_ago(42)
REASSESSMENT_DAY = days_ago(7)

# A full exam as the assessment screen's cleaned data (what ``assessments.services.assessment_save``
# stores); tests.assessments.helpers.EXAM is the same exam as the browser posts it. What completing it
# derives, among others: Thomas iliopsoas left -> hip_flexor_tightness left; SLR right positive with leg
# symptoms -> neural_tension_positive right; hurdle step 2/1 -> fms_asymmetry_hurdle_step; true 90.0/88.8
# and apparent 95.0/93.9 cm -> leg_length_discrepancy right short, structural; two running-form faults.
EXAM_VALUES: dict[str, object] = {
    "assessed_on": BASELINE_DAY,
    "rom_device": "goniometer",
    "rom_mode": "passive",
    "pain_today": 6,
    # Hip ROM, degrees (flexion left is 10° under the AAOS norm of 120°, beyond the 5° margin).
    "rom_flexion_left": 110,
    "rom_flexion_right": 118,
    "rom_flexion_left_pain": True,
    "rom_extension_left": 12,
    "rom_extension_right": -4,
    "rom_abduction_left": 40,
    "rom_abduction_right": 42,
    "rom_adduction_left": 25,
    "rom_adduction_right": 26,
    "rom_internal_rotation_left": 35,
    "rom_internal_rotation_right": 38,
    "rom_internal_rotation_right_pain": True,
    "rom_external_rotation_left": 40,
    "rom_external_rotation_right": 41,
    # Each motion in its usual position (assessments.scoring.DEFAULT_POSITIONS), with the usual device.
    **{f"rom_{motion}_position": position for motion, position in DEFAULT_POSITIONS.items()},
    # FMS raw scores; composite 2+1+2+3+2+2+2 = 14.
    "fms_deep_squat": 2,
    "fms_hurdle_step_left": 2,
    "fms_hurdle_step_right": 1,
    "fms_inline_lunge_left": 2,
    "fms_inline_lunge_right": 2,
    "fms_shoulder_mobility_left": 3,
    "fms_shoulder_mobility_right": 3,
    "fms_active_straight_leg_raise_left": 2,
    "fms_active_straight_leg_raise_right": 2,
    "fms_trunk_stability_pushup": 2,
    "fms_rotary_stability_left": 2,
    "fms_rotary_stability_right": 2,
    # Leg length, cm with mm precision.
    "true_left_cm": Decimal("90.0"),
    "true_right_cm": Decimal("88.8"),
    "apparent_left_cm": Decimal("95.0"),
    "apparent_right_cm": Decimal("93.9"),
    # Special tests: every result given (the screen's selects always send one), details where positive.
    **{f"{test}_{side}_result": "not_tested" for test, _ in SPECIAL_TESTS for side in ("left", "right")},
    "thomas_left_result": "positive",
    "thomas_left_iliopsoas": True,
    "thomas_right_result": "negative",
    "slr_left_result": "negative",
    # An unticked box is False in the cleaned data, and the SLR row stores it as such.
    "slr_left_leg_symptoms": False,
    "slr_right_result": "positive",
    "slr_right_angle": 45,
    "slr_right_leg_symptoms": True,
    "faber_left_result": "positive",
    "faber_left_location": "posterior",
    # Running form.
    "overstriding": True,
    "hip_drop": True,
    "cadence": 162,
    "form_notes": "Heel strikes well ahead of the body; trunk upright.",
}


def exam_values(changes: dict | None = None) -> dict[str, object]:
    """The full exam with ``changes`` applied (cleaned values: ints, Decimals, booleans, dates)."""
    return {**EXAM_VALUES, **(changes or {})}


def save_exam(actor: User, assessment: Assessment, values: dict[str, object]) -> None:
    """The one place the factories hand an exam to the assessment service: through the screen's
    form, so the typed visit and exam are the ones the page would give."""
    form = AssessmentForm(data=values)
    if not form.is_valid():
        raise ValueError(f"The factory's exam does not validate: {form.errors.as_data()}")
    assessment_services.assessment_save(actor=actor, assessment=assessment, visit=form.visit(), exam=form.exam())


class AssessmentFactory(factory.django.DjangoModelFactory):
    """An assessment with the whole exam saved and, unless ``complete=False``, completed (so with its
    derived findings), made by the services the assessment screen calls, without the screen.

    ``exam`` holds changes to ``EXAM_VALUES``; the visit day follows the kind unless given.
    """

    class Meta:
        model = Assessment

    episode = factory.SubFactory(EpisodeFactory)
    kind = AssessmentKind.INITIAL
    clinician = factory.SelfAttribute("episode.lead_clinician")
    assessed_on = factory.LazyAttribute(
        lambda o: BASELINE_DAY if o.kind == AssessmentKind.INITIAL else REASSESSMENT_DAY
    )
    exam = None
    complete = True

    @classmethod
    def _create(cls, model_class, *, episode, kind, clinician, assessed_on, exam, complete):
        assessment = assessment_services.assessment_start(
            actor=clinician, episode=episode, kind=kind, assessed_on=assessed_on
        )
        save_exam(clinician, assessment, exam_values({"assessed_on": assessed_on, **(exam or {})}))
        if complete:
            assessment_services.assessment_complete(actor=clinician, assessment=assessment)
        assessment.refresh_from_db()
        return assessment


class PlanFactory(factory.django.DjangoModelFactory):
    """A draft plan generated from a completed assessment by ``plans.services.plan_draft`` (the
    library is seeded on first use, as when drafting from the page)."""

    class Meta:
        model = TreatmentPlan

    assessment = factory.SubFactory(AssessmentFactory)
    created_by = factory.SelfAttribute("assessment.clinician")

    @classmethod
    def _create(cls, model_class, *, assessment, created_by):
        return plan_services.plan_draft(actor=created_by, assessment=assessment)


class SignedPlanFactory(PlanFactory):
    """A drafted plan signed as it was generated: status signed, version 1 (``plan.versions``)."""

    @classmethod
    def _create(cls, model_class, *, assessment, created_by):
        plan = plan_services.plan_draft(actor=created_by, assessment=assessment)
        plan_services.plan_sign(actor=created_by, plan=plan)
        plan.refresh_from_db()
        return plan
