"""Back-office screens for agents, families and funds under /office/ (included from loyalty/urls.py)."""
from django.urls import path

from referrals.office import social_views as views

app_name = "social_office"

urlpatterns = [
    path("funds/", views.fund_list, name="funds"),
    path("funds/<str:code>/", views.fund_detail, name="fund"),
    path("agents/", views.agent_list, name="agents"),
    path("agents/<uuid:customer_id>/", views.agent_detail, name="agent"),
    path("agents/<uuid:customer_id>/percent/", views.agent_percent, name="agent_percent"),
    path("agents/<uuid:customer_id>/end/", views.agent_end, name="agent_end"),
    path("agents/<uuid:customer_id>/clients/<int:tie_id>/split/", views.agent_client_split, name="agent_split"),
    path("agents/<uuid:customer_id>/clients/<int:tie_id>/untie/", views.agent_client_untie, name="agent_untie"),
    path("customers/<uuid:customer_id>/family/", views.family_add, name="family_add"),
    path("customers/<uuid:customer_id>/family/<uuid:member_id>/rights/", views.family_member_rights, name="family_rights"),
    path("customers/<uuid:customer_id>/family/<uuid:member_id>/remove/", views.family_member_remove, name="family_remove"),
]
