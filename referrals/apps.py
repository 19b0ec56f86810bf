from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Referrals, invite links, agents, families and charity: they plug into loyalty's checkout; loyalty never imports them."""

    name = "referrals"
    verbose_name = "Referrals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug agents, families and charity into loyalty's checkout, customer read and screens."""
        from referrals import social

        social.register()
