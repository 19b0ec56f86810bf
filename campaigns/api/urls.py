from django.urls import path

from campaigns.api import views

# One list for the whole app: each part (segments, campaigns, triggers, draws, ...) appends its paths.
urlpatterns = [
    path("segments", views.SegmentListCreateApi.as_view(), name="api-segments"),
    path("segments/preview", views.SegmentPreviewApi.as_view(), name="api-segment-preview"),
    path("segments/<str:code>", views.SegmentDetailApi.as_view(), name="api-segment-detail"),
    path("segments/<str:code>/customers", views.SegmentCustomersApi.as_view(), name="api-segment-customers"),
    path("segments/<str:code>/bonus", views.SegmentBonusApi.as_view(), name="api-segment-bonus"),
]
