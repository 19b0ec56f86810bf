from django.urls import path

from analytics.office import views

app_name = "analytics_office"

urlpatterns = [
    path("", views.economics_view, name="economics"),
    path("customers/", views.customers_view, name="customers"),
    path("cohorts/", views.cohorts_view, name="cohorts"),
    path("promotions/", views.promotions_view, name="promotions"),
]
