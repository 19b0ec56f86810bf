from django.urls import path

from analytics.api import views

urlpatterns = [
    path("reports/economics", views.EconomicsReportApi.as_view(), name="api-report-economics"),
    path("reports/customers", views.CustomersReportApi.as_view(), name="api-report-customers"),
    path("reports/cohorts", views.CohortsReportApi.as_view(), name="api-report-cohorts"),
    path("reports/promotions", views.PromotionsReportApi.as_view(), name="api-report-promotions"),
]
