from django.urls import path

from clinic.two_factor import views

# Under /accounts/.
account_urlpatterns = [
    path("login/code/", views.sign_in_code, name="two_factor_code"),
    path("login/set-up/", views.sign_in_enrol, name="two_factor_enrol"),
    path("two-factor/", views.account, name="two_factor_account"),
    path("two-factor/set-up/", views.set_up, name="two_factor_set_up"),
]

staff_urlpatterns = [
    path("staff/<int:pk>/two-factor/reset/", views.staff_reset, name="staff_two_factor_reset"),
]
