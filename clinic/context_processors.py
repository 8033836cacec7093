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
            "patients": user.has_perm("clinic.view_patient") and user.clinic_id is not None,
            "staff": permissions.can_manage_staff(user),
            "settings": permissions.can_change_clinic_settings(user),
            "admin": user.is_staff,
            "schedule": user.clinic_id is not None and user.has_perm("scheduling.add_appointment"),
            "library": user.clinic_id is not None and user.has_perm("plans.view_intervention"),
            "is_clinician": Role.CLINICIAN in roles,
        },
    }
