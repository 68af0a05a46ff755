"""/schema serves Swagger UI and ReDoc; /schema/openapi.json describes every operation and error."""

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from taskservice.http.middleware import RequestContextMiddleware

Client = AsyncTestClient[RequestContextMiddleware]

# (path, method) → the error statuses the contract lists for it, besides 429/500/503.
CONTRACT_ERRORS: dict[tuple[str, str], set[int]] = {
    ("/v1/tasks", "post"): {401, 403, 409, 413, 415, 422},
    ("/v1/tasks", "get"): {401, 422},
    ("/v1/tasks/{task_id}", "get"): {401, 404, 422},
    ("/v1/tasks/{task_id}", "put"): {401, 403, 404, 409, 413, 415, 422},
    ("/v1/tasks/{task_id}", "patch"): {401, 403, 404, 409, 413, 415, 422},
    ("/v1/tasks/{task_id}", "delete"): {401, 403, 404, 422},
    ("/v1/users", "post"): {401, 403, 409, 413, 415, 422},
    ("/v1/users", "get"): {401, 403, 422},
    ("/v1/users/me", "get"): {401, 422},
    ("/v1/users/{user_id}", "get"): {401, 403, 404, 422},
    ("/v1/users/{user_id}", "patch"): {401, 403, 404, 413, 415, 422},
    ("/v1/users/{user_id}/api-keys", "post"): {401, 403, 404, 413, 415, 422},
    ("/v1/users/{user_id}/api-keys", "get"): {401, 403, 404, 422},
    ("/v1/api-keys/{key_id}", "delete"): {401, 404, 422},
    ("/v1/auth/token", "post"): {401, 413, 415, 422},
    ("/readyz", "get"): {503},
    ("/healthz", "get"): set(),
}


@pytest.fixture
async def document(memory_client: Client) -> dict[str, Any]:
    response = await memory_client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger", "/schema/redoc"])
async def test_the_docs_are_served_as_html(memory_client: Client, path: str) -> None:
    response = await memory_client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


async def test_swagger_and_redoc_are_both_there(memory_client: Client) -> None:
    assert "swagger-ui" in (await memory_client.get("/schema/swagger")).text.lower()
    assert "redoc" in (await memory_client.get("/schema/redoc")).text.lower()


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete"}
    }


async def test_every_operation_is_described_once_with_an_operation_id(document: dict[str, Any]) -> None:
    found = operations(document)
    assert set(found) == set(CONTRACT_ERRORS)
    ids = [operation["operationId"] for operation in found.values()]
    assert len(set(ids)) == len(ids)


async def test_every_error_response_is_documented_with_the_envelope(document: dict[str, Any]) -> None:
    for key, operation in operations(document).items():
        documented = {int(status) for status in operation["responses"] if not status.startswith("2")}
        server_errors: set[int] = {429, 500, 503} if key[0].startswith("/v1") else set()
        expected = CONTRACT_ERRORS[key] | server_errors
        assert documented == expected, key
        for status in documented:
            schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (key, status)
    assert "400" not in str({k: o["responses"].keys() for k, o in operations(document).items()})


async def test_success_responses_name_their_schemas(document: dict[str, Any]) -> None:
    found = operations(document)

    def schema(key: tuple[str, str], status: str) -> Any:
        return found[key]["responses"][status]["content"]["application/json"]["schema"]

    assert schema(("/v1/tasks", "post"), "201") == {"$ref": "#/components/schemas/Task"}
    assert schema(("/v1/tasks", "get"), "200") == {"$ref": "#/components/schemas/TaskPage"}
    assert schema(("/v1/tasks/{task_id}", "put"), "200") == {"$ref": "#/components/schemas/Task"}
    assert "204" in found[("/v1/tasks/{task_id}", "delete")]["responses"]
    task = document["components"]["schemas"]["Task"]
    assert set(task["required"]) == {
        "id",
        "title",
        "description",
        "status",
        "priority",
        "created_at",
        "updated_at",
        "version",
    }


async def test_request_bodies_refuse_unknown_fields_and_state_the_rules(document: dict[str, Any]) -> None:
    found = operations(document)
    for key in [("/v1/tasks", "post"), ("/v1/tasks/{task_id}", "put"), ("/v1/tasks/{task_id}", "patch")]:
        body = found[key]["requestBody"]
        assert body["required"] is True
        schema = body["content"]["application/json"]["schema"]
        assert schema["additionalProperties"] is False
        assert set(schema["properties"]) == {"title", "description", "status", "priority"}
        priority = schema["properties"]["priority"]
        assert (priority["type"], priority["minimum"], priority["maximum"]) == ("integer", 1, 5)
        assert schema["properties"]["description"]["anyOf"][1] == {"type": "null"}
    create = found[("/v1/tasks", "post")]["requestBody"]["content"]["application/json"]["schema"]
    assert set(create["required"]) == {"title", "priority"}
    assert (create["properties"]["status"]["default"], create["properties"]["description"]["default"]) == ("new", None)
    assert create["properties"]["status"]["enum"] == sorted(["new", "in_progress", "completed"])
    patch = found[("/v1/tasks/{task_id}", "patch")]["requestBody"]["content"]["application/json"]["schema"]
    assert patch["required"] == []


async def test_parameters_are_described_with_integer_bounds(document: dict[str, Any]) -> None:
    found = operations(document)
    [task_id] = found[("/v1/tasks/{task_id}", "get")]["parameters"]
    assert (task_id["name"], task_id["in"], task_id["required"]) == ("task_id", "path", True)
    assert (task_id["schema"]["minimum"], task_id["schema"]["maximum"]) == (1, 2**63 - 1)
    listed = {p["name"]: p for p in found[("/v1/tasks", "get")]["parameters"]}
    assert set(listed) == {"status", "order_by", "order_dir", "limit", "offset"}
    assert listed["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}
    assert listed["order_by"]["schema"]["enum"] == ["priority", "created_at", "updated_at", "title"]
    assert listed["status"]["schema"]["items"]["enum"] == ["new", "in_progress", "completed"]


CODES_BY_STATUS = {
    401: {"unauthenticated"},
    403: {"forbidden"},
    404: {"task_not_found", "not_found"},
    409: {"duplicate_task"},
    413: {"payload_too_large"},
    415: {"unsupported_media_type"},
    422: {"validation_error", "read_only_field", "empty_update"},
    429: {"rate_limited"},
    500: {"internal_error"},
    503: {"service_unavailable"},
}


# The users and API-key routes show their own codes where they differ; sign-in its own 401.
ACCOUNT_CODES_BY_STATUS = {
    **CODES_BY_STATUS,
    404: {"user_not_found", "api_key_not_found"},
    409: {"duplicate_user"},
}
SIGN_IN_CODES_BY_STATUS = {**CODES_BY_STATUS, 401: {"invalid_credentials"}}


def expected_codes(path: str) -> dict[int, set[str]]:
    if path == "/v1/auth/token":
        return SIGN_IN_CODES_BY_STATUS
    return ACCOUNT_CODES_BY_STATUS if path.startswith(("/v1/users", "/v1/api-keys")) else CODES_BY_STATUS


async def test_error_examples_show_the_contracts_codes(document: dict[str, Any]) -> None:
    for key, operation in operations(document).items():
        expected = expected_codes(key[0])
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                continue
            examples = response["content"]["application/json"]["examples"].values()
            codes = {example["value"]["error"]["code"] for example in examples}
            assert codes == expected[int(status)], (key, status)


async def test_the_location_of_a_created_task_is_documented(document: dict[str, Any]) -> None:
    headers = operations(document)[("/v1/tasks", "post")]["responses"]["201"]["headers"]
    assert headers["Location"]["required"] is True


async def test_the_bearer_scheme_is_declared_once(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"] == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (`tsk_…`) or an access token from `POST /v1/auth/token`.",
        }
    }
    assert "security" not in document  # per operation: the probes and sign-in need none


async def test_security_is_on_exactly_the_protected_operations(memory_client: Client, document: dict[str, Any]) -> None:
    """What the document says is what the service does: each operation is tried without a credential."""
    for (path, method), operation in operations(document).items():
        url = path.replace("{task_id}", "1")
        answered = await memory_client.request(method.upper(), url, headers={"Authorization": ""})
        if "security" in operation:
            assert operation["security"] == [{"bearer": []}], (path, method)
            assert answered.status_code == 401, (path, method)
            assert "401" in operation["responses"], (path, method)
        else:
            assert answered.status_code != 401, (path, method)
    assert "security" not in operations(document)[("/healthz", "get")]
    assert "security" not in operations(document)[("/readyz", "get")]
