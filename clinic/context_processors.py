from clinic import permissions
from clinic.permissions import Role


def navigation(request):
    """Which sections the navigation offers: derived from the same rules that guard them."""
    # A request refused before authentication (a bad Host header, say) has no user.
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = permissions.roles_of(user)
    return {
        "nav_roles": sorted(role.value for role in roles),
        "nav": {
            "patients": permissions.can_list_patients(user),
            "staff": permissions.can_manage_staff(user),
            "settings": permissions.can_change_clinic_settings(user),
            "admin": user.is_staff,
            "schedule": permissions.can_schedule(user),
            "library": permissions.can_view_library(user),
            "api_docs": permissions.can_read_api_docs(user),
            "is_clinician": Role.CLINICIAN in roles,
        },
    }
