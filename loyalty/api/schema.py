"""OpenAPI description of the API key authentication (loaded by LoyaltyConfig.ready)."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "loyalty.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A merchant's API key: `Authorization: Bearer <api-key>`."}


COMMON_ERRORS = {
    "400": "Malformed input: bad JSON, JSON nested too deep, text with a NUL character or a lone surrogate, an unknown key, "
           "or a field that fails its checks (each named in `fields`).",
    "401": "No API key, or an invalid or revoked one.",
    "403": "The key's scope does not allow this endpoint (a `pos` key calling an `admin` one).",
    "500": "A server error; nothing was written.",
}
BODY_ERRORS = {
    "411": "A chunked body the server could not read: send it with a Content-Length header.",
    "413": "The request body is over 1 MiB.",
    "415": "The body is not `application/json`.",
}
ERROR_DESCRIPTIONS = {
    "404": "No such object (`customer_not_found`, `receipt_not_found`, `not_found`).",
    "409": "A conflict: `idempotency_key_reused`, a receipt number already used in the store.",
    "422": "A business rule refused the request (e.g. `insufficient_points`, `redeem_over_cap`, `nothing_to_refund`, "
           "`refund_exceeds_purchase`); nothing was written.",
}


def common_errors_hook(result, generator, request, public):
    """Every operation documents the errors any request can get, in the one error shape; request bodies refuse unknown keys."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            extra = dict(COMMON_ERRORS)
            if method in ("post", "put", "patch"):
                extra.update(BODY_ERRORS)
            for status, description in extra.items():
                responses.setdefault(status, {"content": error, "description": description})
            for status, response in responses.items():
                if status in ERROR_DESCRIPTIONS and not response.get("description"):
                    response["description"] = ERROR_DESCRIPTIONS[status]
                elif status in COMMON_ERRORS and not response.get("description"):
                    response["description"] = COMMON_ERRORS[status]
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
