#!/usr/bin/env python
"""Campaign sending bench: `.venv/bin/python bench/campaigns.py [--quick] [--recipients N]`.

Creates a fresh database (PostgreSQL when DATABASE_URL is set, else a temporary SQLite file), 100,000 members
(10,000 with --quick; half consent to email, the rest get the portal inbox), and sends one campaign with a
200-point offer through the locmem email backend (or the file backend with --file). Prints messages/s for the
whole send (freezing the audience, claims, rendering, sending, confirming, set-based offer grants) and checks
that each member got exactly one message and one credit. Target: at least 1,000 messages/s.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 recipients instead of 100,000")
    parser.add_argument("--recipients", type=int, default=None)
    parser.add_argument("--file", action="store_true", help="use the file email backend instead of locmem")
    args = parser.parse_args()
    count = args.recipients or (10_000 if args.quick else 100_000)

    tmp = tempfile.mkdtemp(prefix="bench-campaigns-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", "bench")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["EMAIL_BACKEND"] = ("django.core.mail.backends.filebased.EmailBackend" if args.file
                                   else "django.core.mail.backends.locmem.EmailBackend")
    os.environ["EMAIL_FILE_PATH"] = f"{tmp}/mail"
    os.environ.setdefault("CAMPAIGN_SEND_BATCH", "1000")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False)
    try:
        from accounts.models import Customer
        from loyalty.services.merchants import merchant_setup
        from campaigns import channels, mailing
        from campaigns.models import Delivery
        from loyalty.models import CustomerMessage, Entry

        channels.is_quiet = lambda *, merchant, now: False  # measure sending, not the clock
        merchant = merchant_setup(slug="bench", name="Bench")
        started = time.perf_counter()
        Customer.objects.bulk_create([
            Customer(merchant=merchant, phone=f"+7900{index:07d}", card_number=f"{index:013d}", referral_code=f"{index:08d}",
                     name=f"Member {index}", email=f"m{index}@example.com" if index % 2 else "", consent_email=bool(index % 2))
            for index in range(count)], batch_size=5000)
        print(f"{count:,} members created in {time.perf_counter() - started:.1f} s ({connection.vendor})")
        campaign = mailing.campaign_create(merchant=merchant, data={
            "code": "bench", "name": "Bench", "channels": ["email", "push"], "subject": "Hello {name}",
            "text": "Hello {name}, 200 points are yours until {offer_ends}.", "offer": {"points": 200, "ttl_days": 7}})
        started = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            result = profile.runcall(mailing.campaign_run, campaign=campaign)
            pstats.Stats(profile).sort_stats("cumtime").print_stats(40)
        else:
            result = mailing.campaign_run(campaign=campaign)
        elapsed = time.perf_counter() - started
        sent = Delivery.objects.filter(campaign=campaign, status="sent").count()
        credited = Entry.objects.filter(merchant_id=merchant.pk, kind="bonus").values("customer_id").distinct().count()
        inbox = CustomerMessage.objects.filter(merchant_id=merchant.pk).count()
        if settings.EMAIL_BACKEND.endswith("locmem.EmailBackend"):
            from django.core import mail

            emails = len(getattr(mail, "outbox", []))
        else:
            emails = sum(path.read_text().count("\nTo: ") + path.read_text().startswith("To: ") for path in Path(f"{tmp}/mail").glob("*.log"))
        rate = sent / elapsed if elapsed else 0
        print(f"sent {sent:,} messages ({emails:,} emails, {inbox:,} inbox) in {elapsed:.1f} s: {rate:,.0f} messages/s "
              f"(target >= 1,000) {'OK' if rate >= 1000 else 'BELOW TARGET'}")
        print(f"offers: {credited:,} members credited once each; run result {result}")
        ok = sent == count and credited == count and emails + inbox == count
        print("each member exactly one message and one credit:", "yes" if ok else "NO")
        call_command("check", verbosity=0)
        return 0 if ok else 1
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
