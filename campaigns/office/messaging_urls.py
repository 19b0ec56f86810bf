from django.urls import path

from campaigns.office import messaging_views as views

app_name = "messaging_office"

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_edit, name="campaign_create"),
    path("campaigns/<str:code>/", views.campaign_edit, name="campaign"),
    path("campaigns/<str:code>/progress/", views.campaign_progress, name="campaign_progress"),
    path("campaigns/<str:code>/preview/", views.campaign_preview, name="campaign_preview"),
    path("campaigns/<str:code>/test/", views.campaign_test, name="campaign_test"),
    path("campaigns/<str:code>/send/", views.campaign_send, name="campaign_send"),
    path("campaigns/<str:code>/report/", views.campaign_report, name="campaign_report"),
    path("triggers/", views.trigger_list, name="triggers"),
    path("triggers/new/", views.trigger_edit, name="trigger_create"),
    path("triggers/<str:code>/", views.trigger_edit, name="trigger"),
    path("triggers/<str:code>/toggle/", views.trigger_toggle, name="trigger_toggle"),
    path("product-requests/", views.request_list, name="requests"),
    path("product-requests/notify/", views.request_notify, name="request_notify"),
    path("counter/customers/<uuid:customer_id>/product-request/", views.counter_request, name="counter_request"),
]
