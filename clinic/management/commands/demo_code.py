"""``manage.py demo_code [e-mail]``: the current sign-in code of a demo login, for trying the
demo without an authenticator app. Demo only: DEBUG on, a seeded demo login, the demo key."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinic.management.commands.seed_demo import DEMO_CLINIC, DEMO_LOGINS
from clinic.models import User
from clinic.two_factor import demo


class Command(BaseCommand):
    help = "Print the current sign-in code of a demo login (demo clinic only, DEBUG on)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", nargs="?", default=DEMO_LOGINS[0].email, help="A demo login's e-mail address.")

    def handle(self, *args, email: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_code is for the demo only: it runs with DEBUG=true.")
        if email.lower() not in {login.email for login in DEMO_LOGINS}:
            raise CommandError(
                f"{email} is not a demo login. Demo logins: {', '.join(login.email for login in DEMO_LOGINS)}."
            )
        user = User.objects.filter(email__iexact=email).select_related("clinic").first()
        if user is None:
            raise CommandError("No demo clinic here yet: run `python manage.py seed_demo` first.")
        if not demo.holds_demo_key(user):
            raise CommandError(
                f"{email} does not sign in with the demo key (it may use its own app now, or no second factor). "
                "`python manage.py seed_demo` puts the demo key back."
            )
        self.stdout.write(demo.current_code())
        clinic = user.clinic.name if user.clinic else DEMO_CLINIC["name"]
        self.stderr.write(f"Code for {user.email} at {clinic}; a new one every 30 seconds.")
