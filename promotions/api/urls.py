from django.urls import path

from promotions.api import views

urlpatterns = [
    path("promotions", views.PromotionListCreateApi.as_view(), name="api-promotions"),
    path("promotions/<str:code>", views.PromotionDetailApi.as_view(), name="api-promotion-detail"),
    path("promotions/<str:code>/codes", views.PromotionCodesApi.as_view(), name="api-promotion-codes"),
    path("promotions/<str:code>/backtest", views.PromotionBacktestApi.as_view(), name="api-promotion-backtest"),
    path("customers/<str:customer_id>/offers", views.CustomerOffersApi.as_view(), name="api-customer-offers"),
    path("customers/<str:customer_id>/offers/<str:offer_id>", views.CustomerOfferDetailApi.as_view(), name="api-customer-offer-detail"),
    path("customers/<str:customer_id>/gifts", views.CustomerGiftsApi.as_view(), name="api-customer-gifts"),
    path("customers/<str:customer_id>/gifts/<str:gift_id>", views.CustomerGiftDetailApi.as_view(), name="api-customer-gift-detail"),
]
