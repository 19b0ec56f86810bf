"""The OpenAPI schema at /api/schema/ tells the truth: real answers and the documented examples validate
against it, and the errors every request can get are documented (the schemathesis run in CI,
.ci/schemathesis, checks the same over generated requests)."""
import json

import jsonschema
import pytest
from django.test import Client

from tests.factories import customer_create

pytestmark = pytest.mark.django_db

LINE = {"sku": "MILK-1", "name": "Milk", "quantity": "2", "price": "89.90"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _jsonschema(node):
    """OpenAPI 3.0 `nullable` as JSON Schema."""
    if isinstance(node, list):
        return [_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _jsonschema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def response_schema(schema, path: str, method: str, status: int) -> dict:
    responses = schema["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}: {sorted(responses)}"
    body = responses[str(status)]["content"]["application/json"]["schema"]
    return {**_jsonschema(body), "components": _jsonschema(schema["components"])}


def assert_documented(schema, path: str, method: str, response) -> None:
    validator = jsonschema.Draft202012Validator(response_schema(schema, path, method, response.status_code),
                                                format_checker=jsonschema.FormatChecker())
    errors = [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(response.json())]
    assert not errors, errors


def test_the_schema_answers_and_every_operation_documents_the_common_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"400", "401", "403", "500"} <= statuses, (method, path)
            if method in ("post", "patch"):
                assert {"411", "413", "415"} <= statuses, (method, path)


def test_every_documented_example_validates_against_its_schema(schema):
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                for content in response.get("content", {}).values():
                    body = {**_jsonschema(content["schema"]), "components": _jsonschema(schema["components"])}
                    for name, example in content.get("examples", {}).items():
                        validator = jsonschema.Draft202012Validator(body, format_checker=jsonschema.FormatChecker())
                        errors = [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(example["value"])]
                        assert not errors, (method, path, status, name, errors)
                        checked += 1
    assert checked >= 8


def test_entries_are_documented_as_the_paginated_answer_they_are(schema, pos_client, merchant):
    customer = customer_create(merchant)
    response = pos_client.get(f"/api/v1/customers/{customer.pk}/entries")
    assert response.status_code == 200 and "results" in response.json()
    assert_documented(schema, "/api/v1/customers/{customer_id}/entries", "get", response)


def test_an_anonymous_commit_and_its_refund_match_the_schema_with_a_null_balance(schema, pos_client, merchant):
    committed = pos_client.post("/api/v1/receipts", {"number": "A-1", "lines": [LINE]}, format="json")
    assert committed.status_code == 201 and committed.json()["balance"] is None
    assert_documented(schema, "/api/v1/receipts", "post", committed)
    refunded = pos_client.post(f"/api/v1/receipts/{committed.json()['id']}/refund", {}, format="json")
    assert refunded.status_code == 200 and refunded.json()["balance"] is None
    assert_documented(schema, "/api/v1/receipts/{receipt_id}/refund", "post", refunded)


def test_a_stored_receipt_matches_the_schema_without_balance_or_cap(schema, pos_client, merchant):
    customer = customer_create(merchant)
    committed = pos_client.post("/api/v1/receipts", {"customer": str(customer.pk), "number": "A-2", "lines": [LINE]}, format="json")
    assert_documented(schema, "/api/v1/receipts", "post", committed)
    stored = pos_client.get(f"/api/v1/receipts/{committed.json()['id']}")
    assert "balance" not in stored.json() and "max_redeem_points" not in stored.json()
    assert_documented(schema, "/api/v1/receipts/{receipt_id}", "get", stored)
    props = schema["components"]["schemas"]["Receipt"]["properties"]
    assert "balance" not in props and "max_redeem_points" not in props


def test_errors_match_the_schema(schema, pos_client, admin_client, merchant, settings):
    assert_documented(schema, "/api/v1/program", "get", pos_client.get("/api/v1/program"))  # 403
    assert_documented(schema, "/api/v1/receipts/calculate", "post",
                      pos_client.post("/api/v1/receipts/calculate", "lines=1", content_type="application/x-www-form-urlencoded"))  # 415
    big = pos_client.post("/api/v1/receipts/calculate", {"lines": [LINE], "pad": "x" * (settings.API_MAX_BODY_BYTES + 1)}, format="json")
    assert big.status_code == 413
    assert_documented(schema, "/api/v1/receipts/calculate", "post", big)
    assert_documented(schema, "/api/v1/customers/lookup", "get", pos_client.get("/api/v1/customers/lookup", {"q": " "}))  # 400


def test_server_constraints_are_in_the_schema(schema):
    lookup = next(p for p in schema["paths"]["/api/v1/customers/lookup"]["get"]["parameters"] if p["name"] == "q")
    assert lookup["required"] and lookup["schema"]["minLength"] == 1 and lookup["schema"]["maxLength"] == 64
    key = next(p for p in schema["paths"]["/api/v1/receipts"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    assert key["schema"]["maxLength"] == 255
    code = next(p for p in schema["paths"]["/api/v1/tiers/{code}"]["patch"]["parameters"] if p["name"] == "code")
    assert code["schema"]["maxLength"] == 32
    assert schema["components"]["schemas"]["RefundRequestRequest"]["additionalProperties"] is False
    assert "422" in schema["paths"]["/api/v1/receipts"]["post"]["responses"]
