from django.urls import path

from loyalty.api import data, views

urlpatterns = [
    path("program", views.ProgramApi.as_view(), name="api-program"),
    path("tiers", views.TierListCreateApi.as_view(), name="api-tiers"),
    path("tiers/<str:code>", views.TierDetailApi.as_view(), name="api-tier-detail"),
    path("customers", views.CustomerCreateApi.as_view(), name="api-customer-create"),
    path("customers/lookup", views.CustomerLookupApi.as_view(), name="api-customer-lookup"),
    path("customers/<str:customer_id>", views.CustomerDetailApi.as_view(), name="api-customer-detail"),
    path("customers/<str:customer_id>/entries", views.CustomerEntriesApi.as_view(), name="api-customer-entries"),
    path("receipts/calculate", views.ReceiptCalculateApi.as_view(), name="api-receipt-calculate"),
    path("receipts", views.ReceiptCommitApi.as_view(), name="api-receipt-commit"),
    path("receipts/<str:receipt_id>", views.ReceiptDetailApi.as_view(), name="api-receipt-detail"),
    path("receipts/<str:receipt_id>/refund", views.ReceiptRefundApi.as_view(), name="api-receipt-refund"),
    path("imports", data.ImportCreateApi.as_view(), name="api-imports"),
    path("imports/<str:import_id>", data.ImportDetailApi.as_view(), name="api-import-detail"),
    path("webhooks", data.WebhookListCreateApi.as_view(), name="api-webhooks"),
    path("webhooks/<str:webhook_id>", data.WebhookDetailApi.as_view(), name="api-webhook-detail"),
]
