"""A pet-store merchant `demo` with staff logins, 500 customers and six months of history.

Everything goes through the same services as production (join, commit, refund, expiry), in
simulated time, so every screen and report shows figures that add up.
"""
import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.models import Merchant, Role
from accounts.services import staff_add, store_create
from loyalty.checkout import Draft, DraftLine
from loyalty.models import CustomerMessage
from loyalty.services import customer_join, points_expire, receipt_commit, receipt_refund
from loyalty.services.merchants import merchant_setup
from loyalty.services.program import program_update
from loyalty.services.tiers import tier_create, tier_emails_held, tier_update, tiers_recalculate

PASSWORD = "demo12345"
STAFF = [("owner@demo.test", Role.OWNER, "Ольга Владимирова"), ("marketer@demo.test", Role.MARKETER, "Марина Котова"),
         ("cashier@demo.test", Role.CASHIER, "Игорь Петров")]
CATALOGUE = [
    ("CAT-FOOD-2", "Корм для кошек, 2 кг", "cat-food", "1290.00"),
    ("CAT-FOOD-10", "Корм для кошек, 10 кг", "cat-food", "4990.00"),
    ("CAT-WET-12", "Влажный корм, 12 паучей", "cat-food", "780.00"),
    ("DOG-FOOD-3", "Корм для собак, 3 кг", "dog-food", "1650.00"),
    ("DOG-FOOD-15", "Корм для собак, 15 кг", "dog-food", "6490.00"),
    ("LITTER-10", "Наполнитель, 10 л", "litter", "590.00"),
    ("TOY-MOUSE", "Игрушка «Мышка»", "toys", "149.00"),
    ("TOY-BALL", "Мяч для собак", "toys", "320.00"),
    ("LEASH-M", "Поводок, M", "accessories", "890.00"),
    ("BOWL-S", "Миска керамическая", "accessories", "450.00"),
    ("AQUA-60", "Аквариум, 60 л", "aquariums", "8900.00"),
    ("AQUA-PLANT", "Аквариумные растения, набор", "aquariums", "690.00"),
    ("FISH-FOOD", "Корм для рыб", "fish", "210.00"),
    ("SHAMPOO", "Шампунь для собак", "care", "560.00"),
    ("VITAMINS", "Витамины для кошек", "care", "430.00"),
    ("TREATS", "Лакомство, 100 г", "treats", "190.00"),
]
FIRST = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Ирина", "Светлана", "Татьяна", "Алексей", "Дмитрий", "Сергей",
         "Андрей", "Иван", "Михаил", "Артём", "Александр", "Екатерина", "Юлия", "Павел", "Никита"]
LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров",
        "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров"]
FEMININE = {"Анна", "Мария", "Елена", "Ольга", "Наталья", "Ирина", "Светлана", "Татьяна", "Екатерина", "Юлия"}


class Command(BaseCommand):
    help = "Create the demo merchant `demo` with staff logins and six months of history (once)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (puts known passwords in the database)")
        parser.add_argument("--customers", type=int, default=500)

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo creates logins with a known password; with DEBUG off pass --force to do it anyway.")
        if Merchant.objects.filter(slug="demo").exists():
            self.stdout.write("The demo merchant already exists; nothing changed.")
            self._print_logins()
            return
        rng = random.Random(20261123)
        now = timezone.now().replace(microsecond=0)
        start = now - timedelta(days=182)
        # Six months of simulated history are not news: tier changes get their portal messages, but
        # no email is queued (the worker would otherwise print ~166 of them over the sign-in code).
        with transaction.atomic(), tier_emails_held():
            merchant = merchant_setup(slug="demo", name="Хвост и лапы", currency="RUB", timezone_name="Europe/Moscow", language="ru")
            program_update(merchant=merchant, changes={"accrual_percent": "5.00", "max_redeem_percent": "50.00", "points_ttl_days": 180,
                                                       "welcome_bonus": 300, "welcome_bonus_ttl_days": 14})
            tier_update(tier=merchant.tiers.get(code="base"), data={"code": "bronze", "name": "Бронза"})
            tier_create(merchant=merchant, data={"code": "silver", "name": "Серебро", "rank": 2, "accrual_percent": "7.00",
                                                 "entry": {"total_spend": "25000.00"}, "window_days": 365, "keep": {"total_spend": "15000.00"}})
            tier_create(merchant=merchant, data={"code": "gold", "name": "Золото", "rank": 3, "accrual_percent": "10.00",
                                                 "discount_percent": "3.00", "entry": {"total_spend": "60000.00"}})
            main = merchant.stores.get(code="main")
            main.name = "Хвост и лапы — Тверская"
            main.address = "Москва, ул. Тверская, 12"
            main.save()
            park = store_create(merchant=merchant, code="park", name="Хвост и лапы — Парк", address="Москва, Ленинский пр., 70")
            for email, role, name in STAFF:
                staff_add(merchant=merchant, email=email, role=role, password=PASSWORD, full_name=name)
            self._history(merchant=merchant, stores=[main, park], rng=rng, start=start, now=now, count=options["customers"])
        self.stdout.write(self.style.SUCCESS("Demo merchant `demo` created with six months of history."))
        self._print_logins()

    def _history(self, *, merchant, stores, rng, start, now, count):
        events = []
        fixed = [("+79990000001", "Анна Смирнова", "customer@demo.test", "f"), ("+79991234567", "Артём Волков", "", "m")]
        for index in range(count):
            if index < len(fixed):
                phone, name, email, gender = fixed[index]
                joined = start + timedelta(days=3 + index)
            else:
                first, last = rng.choice(FIRST), rng.choice(LAST)
                gender = "f" if first in FEMININE else "m"
                name = f"{first} {last}{'а' if gender == 'f' else ''}"
                phone = f"+7999{2000000 + index:07d}"
                email = f"client{index}@example.test" if rng.random() < 0.6 else ""
                joined = start + timedelta(seconds=rng.randint(0, int((now - start).total_seconds()) - 3600))
            events.append((joined, 0, "join", {"phone": phone, "name": name, "email": email, "gender": gender, "index": index}))
        day = start + timedelta(days=7)
        while day < now:
            events.append((day, 2, "expire", {}))
            day += timedelta(days=7)
        events.sort(key=lambda event: (event[0], event[1]))

        customers = []
        number = 1000
        pending_refunds = []
        queue = list(events)
        # Purchases are drawn after each join so they fall between the join and today.
        for joined, _order, kind, data in events:
            if kind != "join":
                continue
            visits = 12 if data["index"] < 2 else rng.choice([0, 1, 1, 2, 3, 4, 5, 6, 8, 10])
            # About one visit a fortnight at most, so recent joiners do not crowd into their first day.
            visits = min(visits, max(1, (now - joined).days // 14))
            moments = sorted(joined + timedelta(seconds=rng.randint(600, max(601, int((now - joined).total_seconds()) - 600)))
                             for _ in range(visits))
            for moment in moments:
                queue.append((moment, 1, "purchase", {"index": data["index"]}))
        queue.sort(key=lambda event: (event[0], event[1]))
        by_index = {}
        week = 0
        for at, _order, kind, data in queue:
            if kind == "join":
                referrer = rng.choice(customers) if customers and rng.random() < 0.15 else None
                birthday = None
                if rng.random() < 0.7:
                    birthday = (now - timedelta(days=rng.randint(18 * 365, 70 * 365))).date()
                customer = customer_join(
                    merchant=merchant, phone=data["phone"], name=data["name"], email=data["email"], gender=data["gender"],
                    birthday=birthday, referral_code=referrer.referral_code if referrer else "",
                    consent_email=bool(data["email"]) and rng.random() < 0.8, consent_sms=rng.random() < 0.5,
                    store=rng.choice(stores), at=at,
                )
                customers.append(customer)
                by_index[data["index"]] = customer
            elif kind == "purchase":
                customer = by_index[data["index"]]
                lines = []
                for sku, name, category, price in rng.sample(CATALOGUE, rng.choice([1, 1, 2, 2, 3, 4])):
                    lines.append(DraftLine(sku=sku, name=name, category=category, quantity=Decimal(rng.choice([1, 1, 1, 2, 3])), price=Decimal(price)))
                redeem = rng.choice([0, 0, 0, "max", 100, 200])
                draft = Draft(lines=tuple(lines), purchased_at=at, redeem_points=redeem)
                number += 1
                store = rng.choice(stores)
                try:
                    receipt, _calc = receipt_commit(merchant=merchant, store=store, customer=customer, draft=draft, number=f"{store.code.upper()}-{number}", now=at)
                except ApplicationError:  # a fixed redemption over the balance or cap: ring it up without points
                    draft = Draft(lines=tuple(lines), purchased_at=at, redeem_points=0)
                    receipt, _calc = receipt_commit(merchant=merchant, store=store, customer=customer, draft=draft, number=f"{store.code.upper()}-{number}", now=at)
                if rng.random() < 0.06:
                    pending_refunds.append((at + timedelta(days=rng.randint(1, 10)), receipt))
            elif kind == "expire":
                due = [item for item in pending_refunds if item[0] <= at]
                pending_refunds = [item for item in pending_refunds if item[0] > at]
                for when, receipt in due:
                    first_line = receipt.lines.order_by("position").first()
                    body = {} if rng.random() < 0.5 else {"lines": [{"sku": first_line.sku, "quantity": "1"}]}
                    receipt_refund(receipt=receipt, data=body, now=when)
                points_expire(now=at)
                week += 1
                if week % 4 == 0:
                    tiers_recalculate(now=at, merchant=merchant)
        for when, receipt in pending_refunds:
            if when <= now:
                receipt_refund(receipt=receipt, data={}, now=when)
        points_expire(now=now)
        tiers_recalculate(now=now, merchant=merchant)
        # History, not news: the portal keeps these messages, but nobody is emailed about last spring.
        CustomerMessage.objects.filter(merchant=merchant).update(emailed_at=now)

    def _print_logins(self):
        self.stdout.write("Staff logins (password %s): %s" % (PASSWORD, ", ".join(email for email, _r, _n in STAFF)))
        self.stdout.write("Demo customer: phone +79990000001, email customer@demo.test (portal: /my/demo/login/)")
