from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Referrals, invite links, agents, families and charity: they plug into loyalty's checkout; loyalty never imports them."""

    name = "referrals"
    verbose_name = "Referrals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug into loyalty's program settings, joining, checkout, customer read and screens."""
        for register in (self._referrals_register, self._social_register):
            register()

    @staticmethod
    def _social_register() -> None:
        """Agents, families and charity."""
        from referrals import social

        social.register()

    @staticmethod
    def _referrals_register() -> None:
        """Referral rewards and invite links."""
        from loyalty.extensions import (CheckoutExtension, JoinExtension, ProgramSection, checkout_register, customer_read_register,
                                        join_register, program_section_register)
        from referrals import checkout_referrals, pipeline_referrals, texts
        from referrals.api.serializers_referrals import ReferralSettingsPatchSerializer, ReferralSettingsSerializer
        from referrals.services import joining
        from referrals.services.referrals import referral_settings_read, referral_settings_update, referral_settings_validate

        texts.register()
        program_section_register(ProgramSection(
            name="referral", read=referral_settings_read, validate=referral_settings_validate, update=referral_settings_update,
            serializer=ReferralSettingsSerializer, patch_serializer=ReferralSettingsPatchSerializer,
        ))
        join_register(JoinExtension(name="referrals", check=joining.join_check, welcome=joining.join_welcome, after=joining.join_after))
        checkout_register(CheckoutExtension(
            name=pipeline_referrals.NAME,
            load=checkout_referrals.referrals_load,
            steps={"after_accrual": pipeline_referrals.step_referrals},
            after_commit=checkout_referrals.referrals_after_commit,
            after_refund=checkout_referrals.referrals_after_refund,
            order=110,
        ))
        customer_read_register("referrals", checkout_referrals.customer_read)
        from referrals.portal import referrals as portal_referrals

        portal_referrals.register()
        from django.utils.translation import gettext_lazy as _

        from accounts.models import Role
        from loyalty.extensions import MenuEntry, office_menu_register

        # After Promotions (55), before Stores (60).
        office_menu_register(MenuEntry("referrals", _("Referrals"), "referrals_office:settings", roles=(Role.OWNER, Role.MARKETER), order=57,
                                       prefix="/office/referrals/"))
