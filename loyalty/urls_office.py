from django.urls import path

from loyalty.views import office

app_name = "office"

urlpatterns = [
    path("", office.dashboard, name="dashboard"),
    path("program/", office.program_edit, name="program"),
    path("program/economics/", office.program_economics, name="program_economics"),
    path("customers/", office.customer_list, name="customers"),
    path("customers/<uuid:customer_id>/", office.customer_detail, name="customer"),
    path("customers/<uuid:customer_id>/adjust/", office.customer_adjust, name="customer_adjust"),
    path("receipts/", office.receipt_list, name="receipts"),
    path("receipts/<uuid:receipt_id>/", office.receipt_detail, name="receipt"),
    path("stores/", office.store_list, name="stores"),
    path("staff/", office.staff_list, name="staff"),
    path("staff/<int:membership_id>/role/", office.staff_role, name="staff_role"),
    path("staff/<int:membership_id>/deactivate/", office.staff_deactivate, name="staff_deactivate"),
    path("api-keys/", office.api_key_list, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", office.api_key_revoke, name="api_key_revoke"),
    path("audit/", office.audit_log, name="audit"),
]
