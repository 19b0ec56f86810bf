from django.urls import path

from campaigns.office import views

app_name = "campaigns_office"

# One list for the app's back-office screens: each part appends its paths.
urlpatterns = [
    path("segments/", views.segment_list, name="segments"),
    path("segments/new/", views.segment_builder, name="segment_new"),
    path("segments/preview/", views.segment_preview, name="segment_preview"),
    path("segments/<str:code>/", views.segment_builder, name="segment"),
    path("segments/<str:code>/export.csv", views.segment_export, name="segment_export"),
    path("segments/<str:code>/delete/", views.segment_delete, name="segment_delete"),
    path("segments/<str:code>/bonus/", views.segment_bonus, name="segment_bonus"),
    path("engagement/draws/", views.draw_list, name="draws"),
    path("engagement/draws/<str:code>/run/", views.draw_run, name="draw_run"),
    path("engagement/badges/", views.badge_list, name="badges"),
    path("engagement/badges/leaderboard/", views.leaderboard_settings, name="leaderboard"),
    path("engagement/nps/", views.nps_report, name="nps"),
]
