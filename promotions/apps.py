from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = "Promotions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug into loyalty's checkout, customer read, back-office, counter panel and portal home; loyalty never imports this app."""
        from django.utils.translation import gettext_lazy as _

        from accounts.models import Role
        from loyalty.extensions import (CheckoutExtension, CustomerSection, MenuEntry, checkout_register, customer_read_register,
                                        office_customer_section_register, office_menu_register)
        from promotions import audit, checkout, pipeline
        from promotions.counter import panel
        from promotions.office.views import customer_section_context
        from promotions.portal import sections

        checkout_register(CheckoutExtension(
            name=pipeline.NAME,
            load=checkout.promotions_load,
            steps={"after_tier": pipeline.step_promotions, "after_accrual": pipeline.step_promotion_points},
            after_commit=checkout.promotions_after_commit,
            after_refund=checkout.promotions_after_refund,
        ))
        customer_read_register(pipeline.NAME, checkout.customer_read)
        # Between Tiers (50) and Stores (60).
        office_menu_register(MenuEntry("promotions", _("Promotions"), "promotions_office:list", roles=(Role.OWNER, Role.MARKETER), order=55))
        office_customer_section_register(CustomerSection("promotions", "promotions/office/_customer_section.html",
                                                         customer_section_context, order=50))
        audit.register()
        panel.register()
        sections.register()
