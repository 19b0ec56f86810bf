"""Customer search text: one folded form for what staff type and what is stored.

SQLite folds only ASCII letters in LIKE and PostgreSQL's LIKE folds none, so "морозова" would
miss "Морозова" on one database and "MOROZOVA" on the other. Both sides go through
search_fold() instead, and the query is a plain case-sensitive substring match on
Customer.search_text.
"""
import unicodedata


def search_fold(text: str) -> str:
    """Text as the customer search compares it: NFKC, case-folded, "ё" read as "е", spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text or "").casefold().replace("ё", "е")
    return " ".join(folded.split())


def customer_search_text(*, name: str, email: str, phone: str) -> str:
    """The value of Customer.search_text: folded name and email, and the digits of the phone."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return " ".join(part for part in (search_fold(name), search_fold(email), digits) if part)


def search_terms(text: str) -> list[str]:
    """The words of a query, folded; a customer matches when their search text holds every one."""
    return search_fold(text).split()[:8]
