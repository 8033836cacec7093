from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "clinic.two_factor"
    label = "two_factor"
    verbose_name = "Two-factor sign-in"

    def ready(self) -> None:
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # Devices change only through this package's pages, which check the person, write the
        # audit row and tell the account holder; django-otp's own admin pages would do none of it.
        # The admin app (first in INSTALLED_APPS) has registered them by now.
        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
