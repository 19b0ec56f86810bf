from django.urls import path

from promotions.office import views

app_name = "promotions_office"

urlpatterns = [
    path("", views.promotion_list, name="list"),
    path("new/", views.promotion_create_view, name="create"),
    path("new/preview/", views.promotion_preview_view, name="preview"),
    path("new/backtest/", views.promotion_backtest_view, name="backtest"),
    path("customers/<uuid:customer_id>/gifts/", views.gift_grant_view, name="gift_grant"),
    path("customers/<uuid:customer_id>/gifts/<int:gift_id>/withdraw/", views.gift_withdraw_view, name="gift_withdraw"),
    path("customers/<uuid:customer_id>/offers/", views.offer_grant_view, name="offer_grant"),
    path("customers/<uuid:customer_id>/offers/<int:offer_id>/withdraw/", views.offer_withdraw_view, name="offer_withdraw"),
    path("<str:code>/", views.promotion_edit, name="edit"),
    path("<str:code>/active/", views.promotion_toggle, name="toggle"),
    path("<str:code>/delete/", views.promotion_delete_view, name="delete"),
    path("<str:code>/codes/", views.code_list_view, name="codes"),
    path("<str:code>/codes/public/", views.code_public_create, name="code_public"),
    path("<str:code>/codes/batch/", views.code_batch_create_view, name="code_batch"),
    path("<str:code>/codes.csv", views.code_csv, name="codes_csv"),
]
