from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import merchant_get, store_get
from accounts.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key and print it (only the key; it is not shown again)."

    def add_arguments(self, parser):
        parser.add_argument("merchant_slug")
        parser.add_argument("--store", help="Store code the key is bound to")
        parser.add_argument("--scope", default="pos", choices=["pos", "admin"])
        parser.add_argument("--name", default="")

    def handle(self, *args, **o):
        merchant = merchant_get(slug=o["merchant_slug"])
        if merchant is None:
            raise CommandError(f"No merchant {o['merchant_slug']!r}")
        store = None
        if o["store"]:
            store = store_get(merchant=merchant, code=o["store"])
            if store is None:
                raise CommandError(f"No store {o['store']!r} at {merchant.slug}")
        _key, secret = api_key_create(merchant=merchant, scope=o["scope"], store=store, name=o["name"])
        self.stdout.write(secret)
