"""A rule's value is taken only as JSON wrote it: no float passes for a count."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from engine.api.models import RuleIn


@pytest.mark.parametrize("value", ["12", 12, True, [1, 2], ["信阳", "阜阳"]])
def test_json_strings_integers_and_booleans_are_kept_as_they_are(value):
    assert RuleIn.model_validate({"field": "f", "op": "eq", "value": value}).value == value


@pytest.mark.parametrize("value", [12.0, 12.5, [1.0], None, {"a": 1}])
def test_anything_else_is_refused(value):
    with pytest.raises(ValidationError):
        RuleIn.model_validate({"field": "f", "op": "eq", "value": value})
