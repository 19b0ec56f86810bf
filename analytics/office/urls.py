from django.urls import path

from analytics.office import views

app_name = "analytics_office"

urlpatterns = [
    path("", views.economics_view, name="economics"),
    path("customers/", views.customers_view, name="customers"),
    path("cohorts/", views.cohorts_view, name="cohorts"),
    path("promotions/", views.promotions_view, name="promotions"),
    path("invite-links/", views.invite_links_view, name="invite_links"),
    path("campaigns/", views.campaigns_view, name="campaigns"),
    path("funds/", views.funds_view, name="funds"),
    path("nps/", views.nps_view, name="nps"),
]
