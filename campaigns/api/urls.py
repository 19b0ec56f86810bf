from django.urls import path

from campaigns.api import messaging_views as mv

urlpatterns = []

# Campaigns, triggers and product requests.
urlpatterns += [
    path("campaigns", mv.CampaignListCreateApi.as_view(), name="api-campaigns"),
    path("campaigns/<str:code>", mv.CampaignDetailApi.as_view(), name="api-campaign-detail"),
    path("campaigns/<str:code>/preview", mv.CampaignPreviewApi.as_view(), name="api-campaign-preview"),
    path("campaigns/<str:code>/test", mv.CampaignTestApi.as_view(), name="api-campaign-test"),
    path("campaigns/<str:code>/send", mv.CampaignSendApi.as_view(), name="api-campaign-send"),
    path("campaigns/<str:code>/report", mv.CampaignReportApi.as_view(), name="api-campaign-report"),
    path("triggers", mv.TriggerListCreateApi.as_view(), name="api-triggers"),
    path("triggers/<str:code>", mv.TriggerDetailApi.as_view(), name="api-trigger-detail"),
    path("product-requests", mv.ProductRequestsApi.as_view(), name="api-product-requests"),
    path("product-requests/notify", mv.ProductRequestsNotifyApi.as_view(), name="api-product-requests-notify"),
]
