from django.urls import path

from referrals.api import views_invite_links

urlpatterns = [
    path("invite-links", views_invite_links.InviteLinkListCreateApi.as_view(), name="api-invite-links"),
    path("invite-links/<str:code>", views_invite_links.InviteLinkDetailApi.as_view(), name="api-invite-link-detail"),
    path("invite-links/<str:code>/report", views_invite_links.InviteLinkReportApi.as_view(), name="api-invite-link-report"),
    path("reports/invite-links", views_invite_links.InviteLinksReportApi.as_view(), name="api-report-invite-links"),
]
