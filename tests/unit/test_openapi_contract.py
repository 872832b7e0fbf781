"""The OpenAPI document as app developers meet it: valid, every operation named for a
generated client, every request body required (or absent)."""

from __future__ import annotations

import json
import re

from openapi_spec_validator import validate

from engine.api.operation_ids import OPERATION_IDS


def document(repo_root) -> dict:
    return json.loads((repo_root / "schemas" / "openapi.json").read_text())


def operations(doc):
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            yield f"{method.upper()} {path}", op


def test_the_document_is_valid_openapi(repo_root):
    validate(document(repo_root))


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
