from django.urls import path

from referrals.office import views_referrals

app_name = "referrals_office"

urlpatterns = [
    path("", views_referrals.referral_settings, name="settings"),
    path("example/", views_referrals.referral_example, name="example"),
    path("links/", views_referrals.invite_link_list, name="links"),
    path("links/new/", views_referrals.invite_link_edit, name="link_create"),
    path("links/<str:code>/", views_referrals.invite_link_edit, name="link"),
    path("links/<str:code>/qr.svg", views_referrals.invite_link_qr, name="link_qr"),
    path("links/<str:code>/tent/", views_referrals.invite_link_tent, name="link_tent"),
    path("links/<str:code>/report/", views_referrals.invite_link_report_view, name="link_report"),
]
