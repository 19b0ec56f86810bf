from django.urls import path

from campaigns.portal import views

app_name = "campaigns_portal"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
