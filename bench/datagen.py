"""Test data generated in bulk in SQL (INSERT … SELECT generate_series): no per-row Python.

Customer number i (1-based) has:
    phone          +7999 followed by i as 7 digits          (+79990000042)
    card_number    "27" + i as 10 digits + EAN-13 check digit
    referral_code  1000000 + i                                (7 digits, never a leading zero)
so every one is unique and a client can rebuild any customer's phone from i alone.
"""
from __future__ import annotations

WELCOME_POINTS = 300


def phone_of(i: int) -> str:
    return f"+7999{i:07d}"


def national_phone_of(i: int) -> str:
    """What a Russian cashier types: 8 (999) 123-45-67."""
    d = f"{i:07d}"
    return f"8 (999) {d[0:3]}-{d[3:5]}-{d[5:7]}"


def _ean13_check_sql(body: str) -> str:
    """SQL for the EAN-13 check digit of a 12-character digit string expression `body`.

    Same rule as accounts.services.ean13_check_digit: weights 1,3,1,3,… from the left.
    """
    terms = [f"substr({body}, {k + 1}, 1)::int * {3 if k % 2 else 1}" for k in range(12)]
    return f"((10 - ({' + '.join(terms)}) % 10) % 10)::text"


# Columns each INSERT below names; any other NOT NULL column the application adds later is filled with
# its model default by run.py (Extra), so the bench keeps working while the schema grows.
CUSTOMER_COLUMNS = {"id", "merchant_id", "phone", "name", "email", "birthday", "gender", "language", "card_number", "referral_code",
                    "consent_email", "consent_sms", "consent_push", "invite_code", "created_at", "referred_by_id", "joined_store_id"}
ACCOUNT_COLUMNS = {"customer_id", "merchant_id", "debt", "updated_at"}
LOT_COLUMNS = {"id", "merchant_id", "customer_id", "source", "points", "remaining", "created_at", "activates_at", "is_pending",
               "expires_at", "expired_at", "expired_points", "receipt_id"}
ENTRY_COLUMNS = {"id", "merchant_id", "customer_id", "kind", "points", "at", "description", "lot_id", "receipt_id", "refund_id",
                 "staff_id", "expires_at"}


class Extra:
    """Extra columns for an INSERT: `cols` and `vals` are empty or start with a comma."""

    def __init__(self, columns: dict[str, str] | None = None):
        columns = columns or {}
        self.cols = "".join(f", {name}" for name in columns)
        self.vals = "".join(f", {value}" for value in columns.values())


NONE = Extra()


def customers_insert_sql(*, merchant_id: int, store_id: int, first: int, last: int, extra: Extra = NONE) -> str:
    return f"""
        INSERT INTO accounts_customer (
            id, merchant_id, phone, name, email, birthday, gender, language, card_number, referral_code,
            consent_email, consent_sms, consent_push, invite_code, created_at, referred_by_id, joined_store_id, search_text{extra.cols})
        SELECT gen_random_uuid(), {merchant_id:d}, '+7999' || lpad(s.i::text, 7, '0'), 'Customer ' || s.i, '', NULL, '', '',
               s.body || {_ean13_check_sql('s.body')}, (1000000 + s.i)::text,
               false, false, true, '', now() - interval '2 days', NULL, {store_id:d},
               'customer ' || s.i || ' 7999' || lpad(s.i::text, 7, '0'){extra.vals}
        FROM (SELECT i, '27' || lpad(i::text, 10, '0') AS body FROM generate_series({first:d}, {last:d}) AS i) AS s
    """


def accounts_insert_sql(*, merchant_id: int, extra: Extra = NONE) -> str:
    """A points account for every customer that has none."""
    return f"""
        INSERT INTO loyalty_pointsaccount (customer_id, merchant_id, debt, updated_at{extra.cols})
        SELECT c.id, c.merchant_id, 0, now(){extra.vals}
        FROM accounts_customer c
        WHERE c.merchant_id = {merchant_id:d}
          AND NOT EXISTS (SELECT 1 FROM loyalty_pointsaccount a WHERE a.customer_id = c.id)
    """


def welcome_insert_sql(*, merchant_id: int, first: int, last: int, lot: Extra = NONE, entry: Extra = NONE) -> str:
    """A welcome lot and its entry for customers first..last (by phone), spendable now, expiring in 13 days."""
    return f"""
        WITH lots AS (
            INSERT INTO loyalty_lot (merchant_id, customer_id, source, points, remaining, created_at, activates_at,
                                     is_pending, expires_at, expired_at, expired_points, receipt_id{lot.cols})
            SELECT c.merchant_id, c.id, 'welcome', {WELCOME_POINTS}, {WELCOME_POINTS}, now() - interval '1 day', NULL,
                   false, now() + interval '13 days', NULL, 0, NULL{lot.vals}
            FROM accounts_customer c
            WHERE c.merchant_id = {merchant_id:d}
              AND c.phone BETWEEN '{phone_of(first)}' AND '{phone_of(last)}'
            RETURNING id, merchant_id, customer_id, points, created_at, expires_at
        )
        INSERT INTO loyalty_entry (merchant_id, customer_id, kind, points, at, description, lot_id, receipt_id,
                                   refund_id, staff_id, expires_at{entry.cols})
        SELECT merchant_id, customer_id, 'welcome', points, created_at, 'Welcome bonus for joining', id, NULL, NULL, NULL, expires_at{entry.vals}
        FROM lots
    """


def hot_balance_sql(*, merchant_id: int, customer_id: str, points: int, lot: Extra = NONE, entry: Extra = NONE) -> str:
    """A large bonus lot (and its entry) for the hot-account test, never expiring."""
    return f"""
        WITH lots AS (
            INSERT INTO loyalty_lot (merchant_id, customer_id, source, points, remaining, created_at, activates_at,
                                     is_pending, expires_at, expired_at, expired_points, receipt_id{lot.cols})
            VALUES ({merchant_id:d}, '{customer_id}'::uuid, 'bonus', {points:d}, {points:d}, now() - interval '1 day', NULL, false, NULL, NULL, 0, NULL{lot.vals})
            RETURNING id, merchant_id, customer_id, points, created_at
        )
        INSERT INTO loyalty_entry (merchant_id, customer_id, kind, points, at, description, lot_id, expires_at{entry.cols})
        SELECT merchant_id, customer_id, 'bonus', points, created_at, 'Bench hot-account balance', id, NULL{entry.vals} FROM lots
    """


def due_lots_insert_sql(*, merchant_id: int, count: int, lot: Extra = NONE, entry: Extra = NONE) -> str:
    """`count` accrual lots (with their entries), one per customer in phone order, all past expiry 30 days ago.

    Their expiry moments are spread over an hour, as a year of purchases would be.
    """
    return f"""
        WITH picked AS (
            SELECT c.id, c.merchant_id, row_number() OVER (ORDER BY c.phone) AS n
            FROM accounts_customer c WHERE c.merchant_id = {merchant_id:d}
            ORDER BY c.phone LIMIT {count:d}
        ), lots AS (
            INSERT INTO loyalty_lot (merchant_id, customer_id, source, points, remaining, created_at, activates_at,
                                     is_pending, expires_at, expired_at, expired_points, receipt_id{lot.cols})
            SELECT p.merchant_id, p.id, 'accrual', 1 + (p.n % 97)::int, 1 + (p.n % 97)::int,
                   now() - interval '395 days' - (p.n % 3600) * interval '1 second', NULL,
                   false, now() - interval '30 days' - (p.n % 3600) * interval '1 second', NULL, 0, NULL{lot.vals}
            FROM picked p
            RETURNING id, merchant_id, customer_id, points, created_at, expires_at
        )
        INSERT INTO loyalty_entry (merchant_id, customer_id, kind, points, at, description, lot_id, receipt_id,
                                   refund_id, staff_id, expires_at{entry.cols})
        SELECT merchant_id, customer_id, 'accrual', points, created_at, 'Points for purchase (bench)', id, NULL, NULL, NULL, expires_at{entry.vals}
        FROM lots
    """


PLAIN_TABLE_SQL = """
    DROP TABLE IF EXISTS bench_plain_entry;
    CREATE TABLE bench_plain_entry (
        id bigint GENERATED BY DEFAULT AS IDENTITY,
        merchant_id bigint NOT NULL,
        customer_id uuid NOT NULL,
        kind varchar(16) NOT NULL,
        points integer NOT NULL,
        at timestamptz NOT NULL,
        description varchar(300) NOT NULL,
        lot_id bigint
    );
"""


def plain_insert_sql(*, count: int) -> str:
    """The bare baseline: as many rows as the expiry job writes, into a table with no index, key or trigger."""
    return f"""
        INSERT INTO bench_plain_entry (merchant_id, customer_id, kind, points, at, description, lot_id)
        SELECT 1, gen_random_uuid(), 'expiry', -1 - (i % 97), now() - (i % 3600) * interval '1 second', 'Points expired', i
        FROM generate_series(1, {count:d}) AS i
    """
