"""Portal pages for families and charity under /my/<slug>/ (included from loyalty/urls.py)."""
from django.urls import path

from referrals.portal import social_sections

app_name = "social_portal"

urlpatterns = [
    path("donate/", social_sections.portal_donate, name="donate"),
]
