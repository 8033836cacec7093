"""factory_boy factories: synthetic people only."""

from __future__ import annotations

import datetime
import functools

import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from clinic.models import Clinic, ClinicianProfile, EpisodeOfCare, Patient, User
from clinic.permissions import Role
from clinic.scheduling.models import Appointment

PASSWORD = "correct-horse-battery-staple"


@functools.cache
def _password_hash() -> str:
    # Hashing once keeps Argon2's deliberate slowness out of every factory call.
    return make_password(PASSWORD)


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Stride Clinic {n}")
    time_zone = "America/Chicago"
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
