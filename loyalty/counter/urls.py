from django.urls import path

from loyalty.counter import views as counter

app_name = "counter"

urlpatterns = [
    path("", counter.counter_home, name="home"),
    path("join/", counter.counter_join, name="join"),
    path("store/", counter.counter_store, name="store"),
    path("customers/<uuid:customer_id>/", counter.counter_customer, name="customer"),
    path("customers/<uuid:customer_id>/sale/", counter.counter_sale, name="sale"),
    path("customers/<uuid:customer_id>/profile/", counter.counter_profile, name="profile"),
    path("receipts/<uuid:receipt_id>/", counter.counter_receipt, name="receipt"),
    path("receipts/<uuid:receipt_id>/return/", counter.counter_return, name="return"),
    path("returns/", counter.counter_returns, name="returns"),
]
