"""``manage.py changepassword``, in place of Django's.

A clinic's staff member's password is set only by its owner (the invitation or reset link, or
their own password page), so an operator at the shell is refused and told where the link is.
An account of no clinic (a superuser: the operator's own) is changed with Django's prompts and
password validation, through the audited service, which also tells the account holder by e-mail.
"""

from __future__ import annotations

import getpass

from django.conf import settings
from django.contrib.auth.management.commands import changepassword
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.urls import reverse

from clinic import services
from clinic.models import User

MAX_TRIES = 3


class Command(changepassword.Command):
    help = (
        "Change the password of an account of no clinic (a superuser). Staff of a clinic set their own "
        "password from the link the password reset page e-mails them."
    )

    def handle(self, *args, **options) -> str:
        username = options["username"] or getpass.getuser()
        try:
            # Found as sign-in finds it, whatever the letter case.
            user = User._default_manager.db_manager(options["database"]).get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"user '{username}' does not exist") from None
        if user.clinic_id is not None:
            reset_page = settings.SITE_URL.rstrip("/") + reverse("password_reset")
            raise CommandError(
                f"'{user}' is a staff member of a clinic, and only they set their password. Ask them to open "
                f"{reset_page} (“Forgot your password?” on the sign-in page), which e-mails them a link to set a "
                "new one; a colleague who never set one can be sent their invitation again from the Staff page."
            )
        self.stdout.write(f"Changing password for user '{user}'")
        services.staff_password_set(user=user, password=self._new_password(user))
        return f"Password changed successfully for user '{user}'"

    def _new_password(self, user: User) -> str:
        """Django's prompts: the password twice, checked by the password validators, three tries."""
        for _ in range(MAX_TRIES):
            password = self._get_pass()
            if password != self._get_pass("Password (again): "):
                self.stdout.write("Passwords do not match. Please try again.")
                continue
            try:
                validate_password(password, user)
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            return password
        raise CommandError(f"Aborting password change for user '{user}' after {MAX_TRIES} attempts")
