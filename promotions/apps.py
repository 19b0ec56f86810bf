from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = "Promotions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from accounts.models import Role
        from loyalty.extensions import CustomerSection, MenuEntry, office_customer_section_register, office_menu_register
        from promotions.office.views import customer_section_context

        # Between Tiers (50) and Stores (60).
        office_menu_register(MenuEntry("promotions", _("Promotions"), "promotions_office:list", roles=(Role.OWNER, Role.MARKETER), order=55))
        office_customer_section_register(CustomerSection("promotions", "promotions/office/_customer_section.html",
                                                         customer_section_context, order=50))
