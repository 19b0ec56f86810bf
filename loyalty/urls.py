from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views import favicon, home

urlpatterns = [
    path("api/v1/", include("loyalty.api.urls")),
    path("api/v1/", include("promotions.api.urls")),
    path("api/v1/", include("referrals.api.urls")),
    path("api/v1/", include("referrals.api.social_urls")),
    path("api/v1/", include("campaigns.api.urls")),
    path("api/v1/", include("analytics.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers and the API docs ask for /favicon.ico whatever the page links; send them to the icon.
    path("favicon.ico", favicon),
    path("django-admin/", admin.site.urls),
    # Screens: each surface adds its include here (accounts/, office/, counter/, my/<slug>/).
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("office/promotions/", include("promotions.office.urls")),
    path("office/referrals/", include("referrals.office.urls")),
    path("office/campaigns/", include("campaigns.office.urls")),
    path("office/", include("referrals.office.social_urls")),
    path("office/reports/", include("analytics.office.urls")),
    path("office/", include("loyalty.office.urls")),
    path("counter/", include("loyalty.counter.urls")),
    path("my/<slug:merchant_slug>/club/", include("campaigns.portal.urls")),
    path("my/<slug:merchant_slug>/", include("referrals.portal.social_urls")),
    path("my/<slug:merchant_slug>/", include("loyalty.portal.urls")),
]

# Campaigns, triggers and product requests (campaigns app).
urlpatterns += [
    path("my/<slug:merchant_slug>/m/", include("campaigns.portal.messaging_urls")),
    path("office/messaging/", include("campaigns.office.messaging_urls")),
]
