from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = "Promotions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Plug into loyalty's checkout, customer read, counter panel and portal home; loyalty never imports this app."""
        from loyalty.extensions import CheckoutExtension, checkout_register, customer_read_register
        from promotions import checkout, pipeline
        from promotions.counter import panel
        from promotions.portal import sections

        checkout_register(CheckoutExtension(
            name=pipeline.NAME,
            load=checkout.promotions_load,
            steps={"after_tier": pipeline.step_promotions, "after_accrual": pipeline.step_promotion_points},
            after_commit=checkout.promotions_after_commit,
            after_refund=checkout.promotions_after_refund,
        ))
        customer_read_register(pipeline.NAME, checkout.customer_read)
        panel.register()
        sections.register()
