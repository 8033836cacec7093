"""System checks that turn an obscure start-up failure into an exact instruction."""

from django.core.checks import Error, register

WEASYPRINT_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"


@register()
def weasyprint_libraries(app_configs, **kwargs):
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        return [
            Error(
                f"WeasyPrint cannot load a system library it needs ({error}).",
                hint=f"On Debian or Ubuntu run: sudo apt-get install {WEASYPRINT_PACKAGES}",
                id="clinic.E001",
            )
        ]
    return []
