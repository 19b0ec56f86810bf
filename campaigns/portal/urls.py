from django.urls import path

from campaigns.portal import views

app_name = "campaigns_portal"

# One list for the app's portal actions: each part appends its paths.
urlpatterns = [
    path("survey/", views.survey_answer_view, name="survey"),
    path("leaderboard/", views.leaderboard_view, name="leaderboard"),
]
