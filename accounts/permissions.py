"""Who may open which screen: staff roles per merchant, resolved once per request."""
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from accounts.models import Membership, Role

OFFICE_ROLES = (Role.OWNER, Role.MARKETER)
COUNTER_ROLES = (Role.OWNER, Role.CASHIER)


def membership_for(user) -> Membership | None:
    """The staff member's active membership (a user works for one merchant at a time)."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, is_active=True, merchant__isnull=False)
        .select_related("merchant")
        .order_by("created_at")
        .first()
    )


def staff_required(*roles: str):
    """Let in signed-in staff whose role is one of `roles`; sets request.merchant and request.membership.

    Anonymous users go to the login page; staff with another role get 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_for(request.user)
            if membership is None or (roles and membership.role not in roles):
                raise PermissionDenied
            request.membership = membership
            request.merchant = membership.merchant
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def landing_url_for(membership: Membership | None) -> str:
    if membership is None:
        return "/accounts/login/"
    return "/counter/" if membership.role == Role.CASHIER else "/office/"
