from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Referrals, invite links, agents, families and charity: they plug into loyalty's checkout; loyalty never imports them."""

    name = "referrals"
    verbose_name = "Referrals"
    default_auto_field = "django.db.models.BigAutoField"
