"""Which store a till records its sales in: chosen by the cashier for the session, else `main`.

There are no store-bound staff: any cashier may choose any of the merchant's active stores. The
choice lives in the session with the merchant it belongs to, and a store deactivated since then is
ignored, so a sale never goes to a closed store.
"""
from accounts.models import Store
from accounts.selectors import store_get, store_list

SESSION_KEY = "counter_store"


def counter_store_default(*, merchant) -> Store | None:
    """`main`, else the first active store."""
    store = store_get(merchant=merchant, code="main")
    if store is None or not store.is_active:
        store = store_list(merchant=merchant).filter(is_active=True).first() or store
    return store


def counter_store_get(request) -> Store | None:
    """The store chosen for this session while it stays active, else the default."""
    merchant = request.merchant
    chosen = request.session.get(SESSION_KEY)
    if isinstance(chosen, dict) and chosen.get("merchant") == merchant.pk and isinstance(chosen.get("code"), str):
        store = store_get(merchant=merchant, code=chosen["code"])
        if store is not None and store.is_active:
            return store
    return counter_store_default(merchant=merchant)


def counter_store_remember(request, store: Store) -> None:
    request.session[SESSION_KEY] = {"merchant": request.merchant.pk, "code": store.code}


def counter_store_choices(request) -> dict:
    """What the store picker shows: the current store and the merchant's active stores."""
    return {"store": counter_store_get(request), "stores": list(store_list(merchant=request.merchant).filter(is_active=True))}
