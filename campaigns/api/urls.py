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
