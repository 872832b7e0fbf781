"""The OpenAPI document as app developers meet it: valid, linted clean, every operation
named for a generated client, every answer typed, every request body required (or
absent)."""

from __future__ import annotations

import json
import re

from openapi_spec_validator import validate

from engine.api.operation_ids import OPERATION_IDS
from tests.clients import generate


def document(repo_root) -> dict:
    return json.loads((repo_root / "schemas" / "openapi.json").read_text())


def operations(doc):
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            yield f"{method.upper()} {path}", op


def test_the_document_is_valid_openapi(repo_root):
    validate(document(repo_root))


def test_the_document_lints_clean_with_spectral():
    # Every rule of Spectral's OpenAPI set, at every severity, and the engine's own rules
    # (tests/clients/.spectral.yaml).
    linted = generate.run(
        generate.node_tool("spectral"), "lint", generate.OPENAPI, "--ruleset",
        generate.HERE / ".spectral.yaml", "--fail-severity", "hint",
    )  # fmt: skip
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_every_operation_has_a_short_stable_camel_case_id(repo_root):
    ids = {name: op.get("operationId", "") for name, op in operations(document(repo_root))}
    bad = {name: i for name, i in ids.items() if not re.fullmatch(r"[a-z]+(?:[A-Z][a-z]*)*", i)}
    assert bad == {}
    assert len(set(ids.values())) == len(ids)
    assert set(ids.values()) == set(OPERATION_IDS.values()), "an id no route uses"


def test_request_bodies_are_required_or_absent(repo_root):
    optional = [n for n, op in operations(document(repo_root)) if "requestBody" in op
                and not op["requestBody"].get("required")]  # fmt: skip
    assert optional == []


def test_every_answer_has_a_named_schema(repo_root):
    # JSON answers are models a generated client names; the two files are typed strings;
    # every error is a Problem, under the media type the engine sends.
    anonymous, problems = [], []
    for name, op in operations(document(repo_root)):
        for status, answer in op["responses"].items():
            for media, body in answer.get("content", {}).items():
                schema = body.get("schema", {})
                if status.startswith("2") and "$ref" not in schema and schema != {"type": "string"}:
                    anonymous.append(f"{name} {status} {media}")
                if status[0] in "45" and (
                    media != "application/problem+json"
                    or schema != {"$ref": "#/components/schemas/Problem"}
                ):
                    problems.append(f"{name} {status} {media}")
    assert anonymous == [] and problems == []


def test_json_answers_are_json_and_files_say_what_they_are(repo_root):
    media = {
        m
        for _, op in operations(document(repo_root))
        for status, answer in op["responses"].items()
        if status.startswith("2")
        for m in answer.get("content", {})
    }
    assert media == {"application/json", "image/svg+xml", "text/csv"}
