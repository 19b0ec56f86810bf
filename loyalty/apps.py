from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = "Loyalty program"

    def ready(self):
        from loyalty.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
