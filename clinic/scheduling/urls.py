from django.urls import path

from clinic.scheduling import views

urlpatterns = [
    path("schedule/", views.day_view, name="schedule_day"),
    path("schedule/week/", views.week_view, name="schedule_week"),
    path("schedule/my-calendar/", views.my_calendar_feed, name="my_calendar_feed"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("schedule/book/", views.book, name="schedule_book"),
    path("schedule/visits/<int:pk>/status/", views.set_status, name="schedule_visit_status"),
    path("schedule/visits/<int:pk>/offer/", views.offer, name="schedule_offer"),
    path("schedule/visits/<int:pk>/move/", views.move, name="schedule_visit_move"),
    path("schedule/episodes/<int:episode_pk>/wait-list/", views.wait_list_add, name="schedule_wait_list_add"),
    path("schedule/episodes/<int:episode_pk>/plan/", views.book_plan, name="schedule_book_plan"),
]
