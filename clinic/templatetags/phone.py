from django import template

from clinic import phone_display

register = template.Library()


@register.filter
def phone(number, clinic) -> str:
    """{{ patient.mobile_phone|phone:clinic }}: as dialled from the clinic's country."""
    return phone_display.display(number, phone_display.clinic_region(clinic))
