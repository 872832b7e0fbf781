"""The published OpenAPI document, as app developers meet it: problems under the media
type the engine sends (application/problem+json, nothing else), and the Idempotency-Key
header required where the engine requires it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from engine.api.problems import MEDIA_TYPE

PROBLEM_REF = "#/components/schemas/Problem"


def problems_as_sent(doc: dict[str, Any]) -> dict[str, Any]:
    """Every error answer is a Problem under problem+json, as the handlers send it, the
    framework's own 422 (HTTPValidationError) included: problems.py answers that too."""
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            for status, answer in operation.get("responses", {}).items():
                if status[0] in "45":
                    answer["content"] = {MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}
    schemas = doc.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return doc


def idempotency_keys_required(doc: dict[str, Any]) -> dict[str, Any]:
    """The routes read the header as optional so that a missing one gets the engine's own
    422 naming it (check_idempotency_key); every route that takes it refuses without it."""
    for operations in doc.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"] == "Idempotency-Key":
                    parameter["required"] = True
                    parameter["schema"] = {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 128,
                        "pattern": "^[\\x21-\\x7e]+$",
                        "title": "Idempotency-Key",
                        "description": "chosen once per intent; a retry sends the same one",
                    }
    return doc


def install(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = idempotency_keys_required(problems_as_sent(build()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
