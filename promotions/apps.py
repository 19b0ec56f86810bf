from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = "Promotions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from promotions.counter import panel
        from promotions.portal import sections

        panel.register()
        sections.register()
