"""The program-section, join and message registries of loyalty/extensions.py and loyalty/texts.py: an app adds a
settings section to GET|PATCH /api/v1/program, checks and rewards joining, and registers its messages,
without loyalty importing it."""
import pytest
from django.core.exceptions import ValidationError

from accounts.errors import ApplicationError
from loyalty.extensions import (JoinExtension, ProgramSection, join_register, join_unregister, program_section_register,
                                program_section_unregister)
from loyalty.models import Entry
from loyalty.services import customer_join
from loyalty.texts import message_register, text_render
from tests.factories import row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def section():
    store: dict = {"value": {"level": 1}}

    def validate(*, merchant, value):
        if not isinstance(value, dict) or not isinstance(value.get("level", 1), int):
            raise ValidationError({"level": ["Send a whole number."]})
        return value

    def update(*, merchant, clean, actor=None):
        store["value"] = {**store["value"], **clean}

    program_section_register(ProgramSection(name="throwaway", read=lambda *, merchant: store["value"], validate=validate, update=update))
    yield store
    program_section_unregister("throwaway")


def test_program_section_is_read_and_patched(admin_client, section):
    assert admin_client.get("/api/v1/program").json()["throwaway"] == {"level": 1}

    response = admin_client.patch("/api/v1/program", {"throwaway": {"level": 2}, "welcome_bonus": 10}, format="json")

    assert response.status_code == 200
    assert response.json()["throwaway"] == {"level": 2}
    assert response.json()["welcome_bonus"] == 10


def test_program_section_bad_value_writes_nothing_anywhere(admin_client, section):
    response = admin_client.patch("/api/v1/program", {"throwaway": {"level": "x"}, "welcome_bonus": 10}, format="json")

    assert response.status_code == 400
    assert "throwaway.level" in response.json()["fields"]
    assert section["value"] == {"level": 1}
    assert admin_client.get("/api/v1/program").json()["welcome_bonus"] == 300


def test_program_section_needs_an_identifier_name():
    with pytest.raises(ValueError):
        program_section_register(ProgramSection(name="not a name", read=dict, validate=dict, update=dict))


@pytest.fixture
def joining():
    seen = []

    def check(request):
        if request.profile.get("name") == "Refused":
            raise ApplicationError("refused", "Refused.")
        return "state"

    join_register(JoinExtension(name="throwaway", check=check, welcome=lambda record: 777,
                                after=lambda record: seen.append((record.customer.phone, record.state))))
    yield seen
    join_unregister("throwaway")


def test_join_extension_sets_the_welcome_bonus_and_runs_after(merchant, joining):
    customer = customer_join(merchant=merchant, phone="+79161230001", name="Ann")

    assert Entry.objects.get(customer=customer, kind="welcome").points == 777
    assert joining == [("+79161230001", "state")]


def test_join_extension_refusal_writes_nothing(merchant, joining):
    before = row_counts()

    with pytest.raises(ApplicationError):
        customer_join(merchant=merchant, phone="+79161230002", name="Refused")

    assert row_counts() == before
    assert joining == []


def test_message_register_renders_in_each_language():
    message_register("test.throwaway", lambda p: "Hello %(name)s" % p, short=lambda p: "Hi")

    assert text_render("test.throwaway", {"name": "Ann"}) == "Hello Ann"
    assert text_render("test.throwaway", {"name": "Ann"}, short=True) == "Hi"
