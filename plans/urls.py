from django.urls import path

from plans import run_program_views, views

urlpatterns = [
    path("assessments/<int:assessment_pk>/plan/", views.plan_draft, name="plan_draft"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/items/add/", views.item_add, name="plan_item_add"),
    path("plans/<int:pk>/sign/", views.plan_sign, name="plan_sign"),
    path("plans/<int:pk>/versions/<int:number>/", views.plan_version, name="plan_version"),
    path("plans/<int:pk>/versions/<int:number>/handout.pdf", views.handout_download, name="handout_download"),
    path("plans/<int:pk>/versions/<int:number>/handout/", views.handout_status, name="handout_status"),
    path("plans/<int:pk>/versions/<int:number>/handout/send/", views.handout_send_again, name="handout_send_again"),
    path("plans/<int:pk>/versions/<int:number>/handout/retry/", views.handout_retry, name="handout_retry"),
    path("plan-items/<int:pk>/", views.item_update, name="plan_item_update"),
    path("plan-items/<int:pk>/remove/", views.item_remove, name="plan_item_remove"),
    path("plan-items/<int:pk>/move/<str:direction>/", views.item_move, name="plan_item_move"),
    path("library/", views.library_index, name="library_index"),
    path("library/<str:kind>/new/", views.library_add, name="library_add"),
    path("library/<str:kind>/<int:pk>/", views.library_edit, name="library_edit"),
]

urlpatterns += [
    path("plans/<int:pk>/return-to-run/", run_program_views.plan_run_program, name="plan_run_program"),
    path("return-to-run-programs/", run_program_views.run_program_list, name="run_program_list"),
    path("return-to-run-programs/<int:pk>/", run_program_views.run_program_edit, name="run_program_edit"),
]
