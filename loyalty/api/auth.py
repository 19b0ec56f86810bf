"""API key authentication and scopes: `pos` for customers and receipts, `admin` for everything."""
from dataclasses import dataclass

from django.db import router
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from accounts.models import ApiKey, ApiScope, Merchant, Store
from accounts.selectors import api_key_active_by_hash, store_get
from accounts.services import api_key_hash, api_key_touch


@dataclass
class ApiClient:
    """The caller behind a key: what DRF puts in request.user."""

    key: ApiKey

    is_authenticated = True
    is_anonymous = False

    @property
    def merchant(self) -> Merchant:
        return self.key.merchant


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword or len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as: Authorization: Bearer <api-key>.")
        try:
            secret = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        # The program comes along: every pricing call needs it.
        key = api_key_active_by_hash(key_hash=api_key_hash(key=secret), related=("merchant__program",), main_store=True)
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        api_key_touch(key=key)
        return ApiClient(key=key), key

    def authenticate_header(self, request):
        return "Bearer"


class HasPosScope(BasePermission):
    message = "This endpoint needs an API key."

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey) and request.auth.scope in (ApiScope.POS, ApiScope.ADMIN)


class HasAdminScope(BasePermission):
    message = "This endpoint needs an API key with the admin scope."

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey) and request.auth.scope == ApiScope.ADMIN


def default_store(key: ApiKey) -> Store | None:
    """The store a draft without `store` goes to: the key's own, else the merchant's `main`, known from
    the authentication's statement (its other fields load on first use, which the commit never needs)."""
    if key.store_id is not None:
        return key.store
    if not hasattr(key, "main_store_id"):  # a key read without the annotation
        return store_get(merchant=key.merchant, code="main")
    if key.main_store_id is None:
        return None
    store = Store.from_db(router.db_for_read(Store), ["id", "merchant_id", "code"], [key.main_store_id, key.merchant_id, "main"])
    store.merchant = key.merchant
    return store
