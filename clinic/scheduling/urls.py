from django.urls import path

from clinic.scheduling import hours_views, patient_views, reminder_views, views

urlpatterns = [
    path("schedule/", views.day_view, name="schedule_day"),
    path("schedule/week/", views.week_view, name="schedule_week"),
    path("schedule/my-calendar/", views.my_calendar_feed, name="my_calendar_feed"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("schedule/book/", views.book, name="schedule_book"),
    path("schedule/visits/<int:pk>/", views.visit_detail, name="schedule_visit"),
    path("schedule/visits/<int:pk>/status/", views.set_status, name="schedule_visit_status"),
    path("schedule/visits/<int:pk>/offer/", views.offer, name="schedule_offer"),
    path("schedule/patient-changes/<int:pk>/offer/", views.offer_moved, name="schedule_offer_moved"),
    path("schedule/visits/<int:pk>/move/", views.move, name="schedule_visit_move"),
    path("schedule/episodes/<int:episode_pk>/wait-list/", views.wait_list_add, name="schedule_wait_list_add"),
    path("schedule/episodes/<int:episode_pk>/plan/", views.book_plan, name="schedule_book_plan"),
    path("schedule/episodes/<int:episode_pk>/book/", views.book_episode, name="schedule_book_episode"),
    path(
        "schedule/patients/<int:patient_pk>/reminders/resume/",
        reminder_views.reminders_resume,
        name="schedule_reminders_resume",
    ),
    path("settings/reminder-wording/", reminder_views.wording_list, name="reminder_wording_list"),
    path("settings/reminder-wording/<str:kind>/", reminder_views.wording_edit, name="reminder_wording_edit"),
    path(
        "settings/reminder-wording/<str:kind>/<int:type_pk>/",
        reminder_views.wording_edit,
        name="reminder_wording_edit_type",
    ),
    path("settings/working-hours/", hours_views.hours_list, name="working_hours_list"),
    path("settings/working-hours/<int:clinician_pk>/", hours_views.clinician_hours, name="working_hours_clinician"),
    path(
        "settings/working-hours/<int:clinician_pk>/changes/<int:pk>/remove/",
        hours_views.hours_exception_remove,
        name="hours_exception_remove",
    ),
    path("settings/working-hours/<int:clinician_pk>/time-off/new/", hours_views.time_off_edit, name="time_off_add"),
    path(
        "settings/working-hours/<int:clinician_pk>/time-off/<int:pk>/", hours_views.time_off_edit, name="time_off_edit"
    ),
    path(
        "settings/working-hours/<int:clinician_pk>/time-off/<int:pk>/remove/",
        hours_views.time_off_remove,
        name="time_off_remove",
    ),
    # A reminder's links: the token is the only key, so no patient detail is in the address.
    path("visit/confirm/<str:token>/", patient_views.confirm, name="reminder_confirm"),
    path("visit/cancel/<str:token>/", patient_views.cancel, name="reminder_cancel"),
    path("visit/move/<str:token>/", patient_views.reschedule, name="reminder_reschedule"),
    # A text message's links, kept short: the link's row says what it does.
    path("r/<str:token>", patient_views.short, name="reminder_short"),
    path("reminders/stop/<str:token>/", patient_views.opt_out, name="reminder_opt_out"),
]
