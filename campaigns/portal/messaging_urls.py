from django.urls import path

from campaigns.portal import messaging_views as views

app_name = "messaging_portal"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("push/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("sw.js", views.push_worker, name="push_worker"),
]
