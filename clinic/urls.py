from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from rest_framework.routers import DefaultRouter

from assessments import api as assessment_api
from assessments import urls as assessment_urls
from clinic import api, health, views
from clinic.fhir import urls as fhir_urls
from clinic.forms import LoginForm, OwnPasswordChangeForm, OwnPasswordSetForm
from clinic.outbox import urls as outbox_urls
from clinic.portal import urls as portal_urls
from clinic.scheduling import api as scheduling_api
from clinic.scheduling import urls as scheduling_urls
from clinic.two_factor import urls as two_factor_urls
from clinic.two_factor import views as two_factor_views
from clinic.webhooks import api as webhook_api
from clinic.webhooks import urls as webhook_urls
from intake import api as intake_api
from intake import urls as intake_urls
from notes import api as note_api
from notes import discharge_api
from notes import urls as note_urls
from plans import api as plan_api
from plans import urls as plan_urls
from running import api_phases as rtr_phase_api
from running import api_readiness as readiness_api
from running import api_runs as run_api
from running import api_uploads as running_upload_api
from running import urls as running_urls

router = DefaultRouter()
router.register("patients", api.PatientViewSet, basename="api-patient")
router.register("episodes", api.EpisodeViewSet, basename="api-episode")
router.register("intake-invitations", intake_api.InvitationViewSet, basename="api-intake-invitation")
router.register("intakes", intake_api.IntakeViewSet, basename="api-intake")
router.register("assessments", assessment_api.AssessmentViewSet, basename="api-assessment")
router.register("findings", assessment_api.FindingViewSet, basename="api-finding")
router.register("interventions", plan_api.InterventionViewSet, basename="api-intervention")
router.register("plans", plan_api.PlanViewSet, basename="api-plan")
router.register("plan-items", plan_api.PlanItemViewSet, basename="api-plan-item")
router.register("plan-visits", plan_api.PlanVisitsViewSet, basename="api-plan-visits")
router.register("appointments", scheduling_api.AppointmentViewSet, basename="api-appointment")
router.register("visit-notes", note_api.VisitNoteViewSet, basename="api-visit-note")
router.register("visit-note-states", note_api.VisitNoteStateViewSet, basename="api-visit-note-state")
router.register("discharges", discharge_api.DischargeViewSet, basename="api-discharge")
router.register("webhooks", webhook_api.WebhookEndpointViewSet, basename="api-webhook")
router.register("tokens", api.ApiTokenViewSet, basename="api-token")
router.register("return-to-run-checks", readiness_api.ReadinessCheckViewSet, basename="api-return-to-run-check")
router.register("return-to-run-plans", rtr_phase_api.ReturnToRunViewSet, basename="api-return-to-run-plan")
router.register("run-program-templates", rtr_phase_api.RunProgramTemplateViewSet, basename="api-run-program-template")
router.register("run-files", running_upload_api.RunFileViewSet, basename="api-run-file")
router.register("runs", run_api.RunViewSet, basename="api-run")

account_urls = [
    path(
        "login/",
        two_factor_views.SignInView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(form_class=OwnPasswordChangeForm), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=OwnPasswordSetForm),
        name="password_reset_confirm",
    ),
    path("password/set/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    *two_factor_urls.account_urlpatterns,
    # Each staff member's own API tokens (a clinic admin's page of every token is under Staff).
    path("api-tokens/", views.my_api_token_list, name="my_api_token_list"),
    path("api-tokens/new/", views.my_api_token_create, name="my_api_token_create"),
    path("api-tokens/<int:pk>/revoke/", views.my_api_token_revoke, name="my_api_token_revoke"),
]

urlpatterns = [
    # Browsers and API tools ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", views.favicon),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("readyz/worker", health.worker_readyz, name="readyz-worker"),
    path("", views.dashboard, name="dashboard"),
    path("accounts/", include(account_urls)),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/audit/", views.patient_audit, name="patient_audit"),
    path(
        "patients/<int:pk>/contact-change/<int:change_pk>/",
        views.patient_contact_change,
        name="patient_contact_change",
    ),
    path("patients/<int:patient_pk>/episodes/new/", views.episode_create, name="episode_create"),
    path("episodes/<int:pk>/", views.episode_detail, name="episode_detail"),
    path("episodes/<int:pk>/edit/", views.episode_edit, name="episode_edit"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/resend-invitation/", views.staff_resend_invitation, name="staff_resend_invitation"),
    path("staff/api-tokens/", views.api_token_list, name="api_token_list"),
    path("staff/api-tokens/new/", views.api_token_create, name="api_token_create"),
    path("staff/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("settings/", views.clinic_settings, name="clinic_settings"),
    path("settings/audit/", views.clinic_audit, name="clinic_audit"),
    path("settings/audit/export/", views.clinic_audit_export, name="clinic_audit_export"),
    path("intake/", include(intake_urls.urlpatterns)),
    path("portal/", include(running_urls.portal_urlpatterns)),
    path("portal/", include(portal_urls.urlpatterns)),
    path("", include(intake_urls.staff_urlpatterns)),
    path("", include(assessment_urls.urlpatterns)),
    path("", include(plan_urls.urlpatterns)),
    path("", include(scheduling_urls.urlpatterns)),
    path("", include(note_urls.urlpatterns)),
    path("", include(running_urls.urlpatterns)),
    path("", include(outbox_urls.urlpatterns)),
    path("", include(webhook_urls.urlpatterns)),
    path("api/schema/", views.api_schema, name="api-schema"),
    path("api/docs/", views.api_docs, name="api-docs"),
    path("api/", include(router.urls)),
    path("fhir/", include(fhir_urls.urlpatterns)),
    # Staff change their own password on one page, which the audited service saves.
    path("admin/password_change/", RedirectView.as_view(pattern_name="password_change"), name="admin_password_change"),
    *two_factor_urls.staff_urlpatterns,
    # Before the admin's own: the Django admin signs in through the same two steps.
    path("admin/login/", two_factor_views.admin_login),
    path("admin/", admin.site.urls),
]

# Addresses under /api/ that name no route, and failures there, answer in JSON like the rest of the API.
handler404 = "clinic.drf.not_found"
handler500 = "clinic.drf.server_error"
