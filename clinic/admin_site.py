"""The Django admin, limited to the signed-in admin's clinic in one place.

- ``ClinicScopedAdmin`` and ``ClinicScopedInline``: the rows listed, every foreign-key and
  many-to-many choice (select, raw id with the name shown beside it, autocomplete) and every
  related-field list filter come from ``permissions.clinic_rows`` / ``permissions.scoped``.
  A row pointing at another clinic's record is refused with a form error, as for an id that
  does not exist.
- ``ClinicAdminSite``: refuses to register a model of clinic data with an admin that is not
  clinic-scoped, shows models of no clinic (role groups, django-axes' lockout log with every
  clinic's staff e-mail addresses) to superusers only, and answers "view on site" only for a
  row the admin's own lists hold.

Superusers (the operator, who belongs to no clinic) see everything.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import Http404
from django.urls import path

from clinic import permissions, text_input


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw id box whose name beside it is looked up among the admin's own rows: a typed-in id of
    another clinic shows nothing, as one that does not exist."""

    def __init__(self, rel, admin_site, *, queryset, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            if not self.queryset.filter(**{key: value}).exists():
                return "", ""
        except (ValueError, ValidationError):
            return "", ""
        return super().label_and_url_for_value(value)


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """The list filter of a foreign key, offering only the admin's clinic's rows."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        rows = permissions.scoped(request.user, field.related_model).values("pk")
        return field.get_choices(include_blank=False, limit_choices_to={"pk__in": rows}, ordering=ordering)


def _is_shared(model) -> bool:
    return model._meta.label_lower in permissions.SHARED_MODELS


class ClinicScopedFields:
    """Choices of every relation limited to the admin's clinic (for model admins and inlines)."""

    def _choices(self, db_field, request, kwargs):
        if request.user.is_superuser or _is_shared(db_field.related_model):
            return kwargs
        queryset = permissions.scoped(request.user, db_field.related_model)
        kwargs["queryset"] = queryset
        if db_field.name in self.raw_id_fields:
            kwargs["widget"] = ScopedRawIdWidget(db_field.remote_field, self.admin_site, queryset=queryset)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **self._choices(db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **self._choices(db_field, request, kwargs))

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return rows if request.user.is_superuser else permissions.clinic_rows(request.user, rows)


class ClinicScopedAdmin(text_input.AdminFields, ClinicScopedFields, admin.ModelAdmin):
    """Rows, choices and list filters of the signed-in admin's clinic only. Text with a control
    character is refused in its forms and its search."""

    def get_list_filter(self, request):
        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and "__" not in entry:
                field = self.model._meta.get_field(entry)
                if field.is_relation and not _is_shared(field.related_model):
                    entry = (entry, ScopedRelatedFieldListFilter)
            scoped.append(entry)
        return scoped

    def has_delete_permission(self, request, obj=None) -> bool:
        # Records are discharged or deactivated, never deleted.
        return False

    def get_search_results(self, request, queryset, search_term):
        character = text_input.forbidden_character(search_term, multiline=False)
        if character is not None:
            messages.error(request, text_input.message_for(character))
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


class ClinicScopedInline(text_input.AdminFields, ClinicScopedFields, admin.TabularInline):
    """An inline's rows and choices, of the admin's clinic only."""


class SuperuserOnly:
    """For models of no clinic: only superusers see or change them."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request, *args) -> bool:
        return self.has_module_permission(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request) and super().has_delete_permission(request, obj)


class ClinicAdminSite(admin.AdminSite):
    """The project's admin site (``clinic.apps.ClinicAdminConfig``)."""

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else list(model_or_iterable)
        admin_class = admin_class or admin.ModelAdmin
        for model in models:
            label = model._meta.label_lower
            if label in permissions.CLINIC_PATHS:
                if not issubclass(admin_class, ClinicScopedAdmin):
                    raise ImproperlyConfigured(f"The admin of {label} must be a ClinicScopedAdmin.")
                chosen = admin_class
            else:
                # The role groups, the lockout log and whatever a library registers.
                chosen = type(f"SuperuserOnly{admin_class.__name__}", (SuperuserOnly, admin_class), {})
            super().register(model, chosen, **options)

    def get_urls(self):
        urls = [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]
        return [
            path("r/<path:content_type_id>/<path:object_id>/", self.admin_view(self.view_on_site), name="view_on_site"),
            *urls,
        ]

    def view_on_site(self, request, content_type_id, object_id):
        """Django's "view on site" redirect, for a row the admin's own list of its model holds;
        404 for any other, as for one that does not exist."""
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
            model_admin = self._registry.get(model)
            visible = model_admin is not None and model_admin.get_queryset(request).filter(pk=object_id).exists()
        except (ContentType.DoesNotExist, ValueError, ValidationError):
            visible = False
        if not visible or not model_admin.has_view_permission(request):
            raise Http404
        return shortcut(request, content_type_id, object_id)
