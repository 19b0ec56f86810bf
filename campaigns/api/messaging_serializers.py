"""Request and response shapes of the campaigns, triggers and product-requests API (the services judge the input)."""
from rest_framework import serializers

CHANNELS_HELP = "Any of email, sms, push, in order of preference: each recipient gets the first they consented to and can receive"
OFFER_HELP = ('null, or one of {"points": 200, "ttl_days": 7} | {"promotion": "spring-20", "days": 7, "uses": 1} | '
              '{"codes": "spring30"} (a personal code of that promotion each) | {"gift": {"name", "sku", "quantity", "expires_at"}}')
TEXT_HELP = "Placeholders: {name} {balance} {code} {offer_ends}"


class SentSerializer(serializers.Serializer):
    email = serializers.IntegerField()
    sms = serializers.IntegerField()
    push = serializers.IntegerField()


class CampaignSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    segment = serializers.CharField(allow_null=True, help_text="A segment's code; null = every member")
    channels = serializers.ListField(child=serializers.ChoiceField(choices=["email", "sms", "push"]), help_text=CHANNELS_HELP)
    subject = serializers.CharField(allow_blank=True)
    text = serializers.CharField(help_text=TEXT_HELP)
    offer = serializers.JSONField(allow_null=True, help_text=OFFER_HELP)
    control_percent = serializers.IntegerField(min_value=0, max_value=90, help_text="Held out by a hash of campaign and customer")
    send_at = serializers.DateTimeField(allow_null=True, help_text="null = sent by hand; else scheduled")
    status = serializers.ChoiceField(choices=["draft", "scheduled", "sending", "sent"], read_only=True)
    recipients = serializers.IntegerField(read_only=True)
    control = serializers.IntegerField(read_only=True)
    sent = SentSerializer(read_only=True)
    skipped = serializers.IntegerField(read_only=True)
    progress = serializers.CharField(read_only=True, help_text='Percent done, e.g. "42.50"')


class CampaignInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text="Letters, digits, - and _; unique per merchant")
    name = serializers.CharField(max_length=200)
    segment = serializers.CharField(required=False, allow_null=True)
    channels = serializers.ListField(child=serializers.ChoiceField(choices=["email", "sms", "push"]), required=False, help_text=CHANNELS_HELP)
    subject = serializers.CharField(required=False, allow_blank=True, max_length=200)
    text = serializers.CharField(max_length=5000, help_text=TEXT_HELP)
    offer = serializers.JSONField(required=False, allow_null=True, help_text=OFFER_HELP)
    control_percent = serializers.IntegerField(required=False, min_value=0, max_value=90)
    send_at = serializers.DateTimeField(required=False, allow_null=True)


class CampaignPatchSerializer(CampaignInputSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class PreviewInputSerializer(serializers.Serializer):
    customer = serializers.UUIDField(help_text="The member to render it for")


class PreviewSerializer(serializers.Serializer):
    customer = serializers.UUIDField()
    language = serializers.CharField()
    channel = serializers.CharField(allow_null=True, help_text="The channel they would get it by; null = none usable")
    subject = serializers.CharField(allow_blank=True)
    text = serializers.CharField()


class TestInputSerializer(serializers.Serializer):
    email = serializers.EmailField()


class QueuedSerializer(serializers.Serializer):
    status = serializers.CharField()
    detail = serializers.CharField()


class GroupIntSerializer(serializers.Serializer):
    mailed = serializers.IntegerField()
    control = serializers.IntegerField()


class GroupMoneySerializer(serializers.Serializer):
    mailed = serializers.CharField()
    control = serializers.CharField()


class UpliftSerializer(serializers.Serializer):
    revenue_per_customer = serializers.CharField(help_text="Mailed minus control, per customer")
    ci95 = serializers.ListField(child=serializers.CharField(), allow_null=True, help_text="[low, high]; null without a control group")


class ReportSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    recipients = serializers.IntegerField()
    control = serializers.IntegerField()
    buyers = GroupIntSerializer()
    revenue_per_customer = GroupMoneySerializer()
    uplift = UpliftSerializer()
    offers_used = serializers.IntegerField()
    unsubscribed = serializers.IntegerField()
    summary = serializers.CharField(help_text="The result in one or two plain sentences")


class TriggerSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    event = serializers.ChoiceField(choices=["welcome", "first_purchase", "birthday", "winback", "tier_reached", "category_purchase"])
    days_before = serializers.IntegerField(required=False, min_value=0, max_value=60, help_text="birthday")
    family = serializers.BooleanField(required=False, help_text="birthday: also family members' birthdays")
    days = serializers.IntegerField(required=False, min_value=1, max_value=3650, help_text="winback: days without a purchase")
    tier = serializers.CharField(required=False, help_text="tier_reached: the tier's code")
    category = serializers.CharField(required=False, help_text="category_purchase")
    delay_days = serializers.IntegerField(required=False, min_value=0, max_value=365, help_text="category_purchase")
    channels = serializers.ListField(child=serializers.ChoiceField(choices=["email", "sms", "push"]), required=False)
    subject = serializers.CharField(required=False, allow_blank=True, max_length=200)
    text = serializers.CharField(max_length=5000, help_text=TEXT_HELP)
    offer = serializers.JSONField(required=False, allow_null=True, help_text=OFFER_HELP)
    active = serializers.BooleanField(required=False)
    sent_last_week = serializers.IntegerField(read_only=True)


class TriggerPatchSerializer(TriggerSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class ProductRequestInputSerializer(serializers.Serializer):
    customer = serializers.UUIDField()
    sku = serializers.CharField(max_length=64)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ProductRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.UUIDField()
    sku = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    source = serializers.CharField()
    created_at = serializers.DateTimeField()


class SkuRequestsSerializer(serializers.Serializer):
    sku = serializers.CharField()
    customers = serializers.IntegerField()
    last = serializers.DateTimeField()


class NotifyInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    subject = serializers.CharField(required=False, allow_blank=True, max_length=200)
    text = serializers.CharField(max_length=5000, help_text=TEXT_HELP)
    channels = serializers.ListField(child=serializers.ChoiceField(choices=["email", "sms", "push"]), required=False)


class NotifySerializer(serializers.Serializer):
    campaign = serializers.CharField(help_text="The campaign that mails them; see its report")
    recipients = serializers.IntegerField(help_text="Customers waiting for the SKU")
