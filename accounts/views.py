"""Staff sign-in and sign-out, and setting a password from an emailed invitation."""
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.forms import StaffLoginForm
from accounts.permissions import landing_url_for, membership_for


class StaffLoginView(auth_views.LoginView):
    """Email and password; owners and marketers land in the back-office, cashiers at the counter.

    Failed attempts are throttled by django-axes (AXES_* settings).
    """

    template_name = "accounts/login.html"
    form_class = StaffLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        user = self.request.user
        membership = membership_for(user)
        if membership is None and user.is_staff:
            return "/django-admin/"
        return landing_url_for(membership)

    def get_success_url(self):
        target = self.get_redirect_url()
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()}):
            return target
        return self.get_default_redirect_url()


class StaffLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("accounts:login")


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The link in an invitation email: the new staff member chooses a password, then signs in."""

    template_name = "accounts/password_set.html"
    success_url = reverse_lazy("accounts:password_set_done")
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def get_success_url(self):
        return landing_url_for(membership_for(self.user)) if self.user else super().get_success_url()


class InvitationDoneView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_set_done.html"


def home(request):
    """The site root: signed-in staff go to their screen, everyone else to the sign-in page."""
    from django.shortcuts import redirect

    membership = membership_for(request.user)
    return redirect(landing_url_for(membership) if membership else "accounts:login")


def lockout_response(request, original_response=None, credentials=None):
    """What django-axes answers once sign-in is paused (AXES_LOCKOUT_CALLABLE): our page, 429."""
    from django.conf import settings
    from django.shortcuts import render

    minutes = max(1, round(float(settings.AXES_COOLOFF_TIME) * 60)) if settings.AXES_COOLOFF_TIME else 0
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "accounts/lockout.html", context, status=429)


def favicon(request):
    """/favicon.ico, which browsers and the API docs ask for whatever a page links: the site icon."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("favicon.svg"), permanent=True)
