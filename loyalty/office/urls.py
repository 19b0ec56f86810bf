from django.urls import path

from loyalty.office.views import data as office_data, main as office, tiers as office_tiers

app_name = "office"

urlpatterns = [
    path("", office.dashboard, name="dashboard"),
    path("program/", office.program_edit, name="program"),
    path("program/economics/", office.program_economics, name="program_economics"),
    path("program/pages/<slug:kind>/", office.program_page_edit, name="program_page"),
    path("customers/", office.customer_list, name="customers"),
    path("customers/<uuid:customer_id>/", office.customer_detail, name="customer"),
    path("customers/<uuid:customer_id>/adjust/", office.customer_adjust, name="customer_adjust"),
    path("customers/<uuid:customer_id>/profile/", office.customer_profile_edit, name="customer_profile"),
    path("customers/<uuid:customer_id>/tier/", office_tiers.customer_tier_override, name="customer_tier_override"),
    path("customers/<uuid:customer_id>/tier/end/", office_tiers.customer_tier_override_end, name="customer_tier_override_end"),
    path("receipts/", office.receipt_list, name="receipts"),
    path("receipts/<uuid:receipt_id>/", office.receipt_detail, name="receipt"),
    path("tiers/", office_tiers.tier_list, name="tiers"),
    path("tiers/new/", office_tiers.tier_create, name="tier_create"),
    path("tiers/<slug:code>/edit/", office_tiers.tier_edit, name="tier_edit"),
    path("tiers/<slug:code>/move/", office_tiers.tier_move, name="tier_move"),
    path("tiers/<slug:code>/delete/", office_tiers.tier_delete, name="tier_delete"),
    path("stores/", office.store_list, name="stores"),
    path("staff/", office.staff_list, name="staff"),
    path("staff/<int:membership_id>/role/", office.staff_role, name="staff_role"),
    path("staff/<int:membership_id>/deactivate/", office.staff_deactivate, name="staff_deactivate"),
    path("api-keys/", office.api_key_list, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", office.api_key_revoke, name="api_key_revoke"),
    path("audit/", office.audit_log, name="audit"),
    path("settings/import/", office_data.import_page, name="imports"),
    path("settings/import/<uuid:import_id>/", office_data.import_detail, name="import_detail"),
    path("settings/import/<uuid:import_id>/progress/", office_data.import_progress, name="import_progress"),
    path("settings/import/<uuid:import_id>/run/", office_data.import_confirm, name="import_confirm"),
    path("settings/webhooks/", office_data.webhook_list, name="webhooks"),
    path("settings/webhooks/<int:endpoint_id>/delete/", office_data.webhook_delete, name="webhook_delete"),
    path("settings/webhooks/<int:endpoint_id>/test/", office_data.webhook_test, name="webhook_test"),
]
