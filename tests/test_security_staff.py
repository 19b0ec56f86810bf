"""Staff invitations never change an existing colleague's access; a business always keeps its owner."""
import pytest
from django.core import mail
from django.test import Client

from accounts.errors import ValidationError
from accounts.models import AuditEvent, Membership, Role
from accounts.services import staff_add, staff_invite
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def client_for(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_owner_cannot_demote_themselves_through_the_invite_form(owner, merchant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post("/office/staff/", {"email": owner.user.email, "role": "cashier"})
    assert response.status_code == 400
    assert "already works here" in response.content.decode()
    owner.refresh_from_db()
    assert (owner.role, owner.is_active) == (Role.OWNER, True)
    assert Membership.objects.filter(merchant=merchant, role=Role.OWNER, is_active=True).count() == 1
    assert mail.outbox == []


def test_inviting_an_active_colleague_is_refused_without_changing_role_or_email(owner, cashier, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post("/office/staff/", {"email": cashier.user.email.upper(), "role": "owner"})
    assert response.status_code == 400
    body = response.content.decode()
    # The answer points to the role form in the list below.
    assert "change their role in the list below" in body
    cashier.refresh_from_db()
    assert cashier.role == Role.CASHIER
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="staff.role_changed").exists()


def test_the_services_refuse_an_active_member_too(owner, cashier, merchant):
    for call in (
        lambda: staff_add(merchant=merchant, email=cashier.user.email, role=Role.OWNER, actor=owner.user),
        lambda: staff_invite(merchant=merchant, email=owner.user.email, role=Role.CASHIER, actor=owner.user, base_url="http://testserver"),
    ):
        with pytest.raises(ValidationError):
            call()
    cashier.refresh_from_db()
    owner.refresh_from_db()
    assert (cashier.role, owner.role) == (Role.CASHIER, Role.OWNER)


def test_inviting_a_deactivated_person_restores_access(owner, merchant, django_capture_on_commit_callbacks):
    former = MembershipFactory(merchant=merchant, role=Role.MARKETER, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post("/office/staff/", {"email": former.user.email, "role": "cashier"})
    assert response.status_code == 302
    former.refresh_from_db()
    assert (former.role, former.is_active) == (Role.CASHIER, True)
    assert len(mail.outbox) == 1


def test_invite_role_defaults_to_cashier(owner):
    response = client_for(owner).get("/office/staff/")
    form = response.context["form"]
    assert form["role"].value() == Role.CASHIER
    assert '<option value="cashier" selected>' in response.content.decode()


def test_owner_cannot_change_own_role_through_the_role_form(owner, merchant):
    response = client_for(owner).post(f"/office/staff/{owner.pk}/role/", {"role": "cashier"}, follow=True)
    assert "You cannot change your own access." in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == Role.OWNER
