from django.urls import path

from loyalty.portal.views import main as portal, messages as portal_tiers

app_name = "portal"

urlpatterns = [
    path("", portal.portal_home, name="home"),
    path("join/", portal.portal_join, name="join"),
    path("login/", portal.portal_login, name="login"),
    path("login/code/", portal.portal_code, name="code"),
    path("profile/", portal.portal_profile, name="profile"),
    path("logout/", portal.portal_logout, name="logout"),
    path("rules/", portal.portal_rules, name="rules"),
    path("privacy/", portal.portal_privacy, name="privacy"),
    path("messages/<int:message_id>/read/", portal_tiers.portal_message_read, name="message_read"),
]
