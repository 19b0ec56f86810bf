"""Agents, families and charity under /api/v1/ (included from loyalty/urls.py)."""
from django.urls import path

from referrals.api import social as views

urlpatterns = [
    path("funds", views.FundListCreateApi.as_view(), name="api-funds"),
    path("funds/<str:code>", views.FundDetailApi.as_view(), name="api-fund-detail"),
    path("funds/<str:code>/report", views.FundReportApi.as_view(), name="api-fund-report"),
    path("customers/<str:customer_id>/agent", views.CustomerAgentApi.as_view(), name="api-customer-agent"),
    path("customers/<str:customer_id>/family", views.CustomerFamilyApi.as_view(), name="api-customer-family"),
    path("customers/<str:customer_id>/family/<str:member_id>", views.CustomerFamilyMemberApi.as_view(), name="api-customer-family-member"),
    path("customers/<str:customer_id>/donations", views.CustomerDonationsApi.as_view(), name="api-customer-donations"),
]
