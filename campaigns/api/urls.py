from django.urls import path

from campaigns.api import views

# One list for the whole app: each part (segments, campaigns, triggers, draws, ...) appends its paths.
urlpatterns = [
    path("segments", views.SegmentListCreateApi.as_view(), name="api-segments"),
    path("segments/preview", views.SegmentPreviewApi.as_view(), name="api-segment-preview"),
    path("segments/<str:code>", views.SegmentDetailApi.as_view(), name="api-segment-detail"),
    path("segments/<str:code>/customers", views.SegmentCustomersApi.as_view(), name="api-segment-customers"),
    path("segments/<str:code>/bonus", views.SegmentBonusApi.as_view(), name="api-segment-bonus"),
    path("draws", views.DrawListCreateApi.as_view(), name="api-draws"),
    path("draws/<str:code>", views.DrawDetailApi.as_view(), name="api-draw-detail"),
    path("draws/<str:code>/run", views.DrawRunApi.as_view(), name="api-draw-run"),
    path("draws/<str:code>/participants", views.DrawParticipantsApi.as_view(), name="api-draw-participants"),
    path("badges", views.BadgeListCreateApi.as_view(), name="api-badges"),
    path("reports/nps", views.NpsReportApi.as_view(), name="api-report-nps"),
]

# Campaigns, triggers and product requests.
from campaigns.api import messaging_views as mv  # noqa: E402

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
