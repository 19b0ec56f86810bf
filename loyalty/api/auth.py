"""API key authentication and scopes: `pos` for customers and receipts, `admin` for everything."""
from dataclasses import dataclass

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from accounts.models import ApiKey, ApiScope, Merchant
from accounts.selectors import api_key_active_by_hash
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
        key = api_key_active_by_hash(key_hash=api_key_hash(key=secret), related=("merchant__program",))
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
