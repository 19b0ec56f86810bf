from django.core.management.base import BaseCommand, CommandError

from accounts.errors import ApplicationError, ValidationError
from loyalty.services.merchants import merchant_setup


class Command(BaseCommand):
    help = "Create a merchant with its default store `main` and program settings."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--currency", default="RUB")
        parser.add_argument("--timezone", default="Europe/Moscow")
        parser.add_argument("--language", default="ru", choices=["en", "ru"])
        parser.add_argument("--country", default="RU", help="Default region for phone numbers")

    def handle(self, *args, **o):
        try:
            merchant = merchant_setup(slug=o["slug"], name=o["name"], currency=o["currency"], timezone_name=o["timezone"],
                                      language=o["language"], country=o["country"])
        except ApplicationError as exc:
            raise CommandError(exc.message)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
        self.stdout.write(f"Created merchant {merchant.slug} with store main")
