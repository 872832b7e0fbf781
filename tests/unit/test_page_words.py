"""The pages' two dictionaries say the same things: every key in Chinese has its English,
and the other way round; and every problem type the API can answer has its words."""

from __future__ import annotations

import inspect
import json
import re
from importlib import resources
from pathlib import Path

from engine import errors

WORDS = (resources.files("engine.api") / "static" / "i18n.js").read_text()


def dictionary(language: str) -> dict[str, str]:
    """The `"key": "words"` pairs of one language's block in i18n.js."""
    start = WORDS.index(f"    {language}: {{")
    end = WORDS.index("\n    }", start)
    return dict(re.findall(r'^\s+"([^"]+)":\s*"((?:[^"\\]|\\.)*)"', WORDS[start:end], re.MULTILINE))


def test_both_languages_have_the_same_keys():
    zh, en = dictionary("zh"), dictionary("en")
    assert len(zh) > 100
    assert set(zh) - set(en) == set(), "missing in English"
    assert set(en) - set(zh) == set(), "missing in Chinese"
    assert all(zh.values()) and all(en.values())


def test_every_problem_type_has_words_in_both_languages():
    slugs = {
        cls.slug
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.EngineError) and cls.slug != "engine-error"
    }
    for language in ("zh", "en"):
        missing = {s for s in slugs if f"problem.{s}" not in dictionary(language)}
        assert missing == set(), (language, missing)


def test_the_pages_name_exactly_the_contracts_categories_and_profile_fields():
    # The words are the pages' own; what there is to name comes from the API's contract,
    # so a category or a profile field added there without its words fails here.
    contract = json.loads((Path(__file__).parents[2] / "schemas" / "openapi.json").read_text())
    schemas = contract["components"]["schemas"]
    categories = set(schemas["WorkerCategory"]["enum"])
    fields = set(schemas["WorkerIn"]["properties"]) - {"id"}
    for language in ("zh", "en"):
        words = dictionary(language)
        named = {k.split(".", 1)[1] for k in words if k.startswith("category.")}
        assert named == categories, language
        named = {k.split(".", 1)[1] for k in words if k.startswith("field.")} - {"profile"}
        assert named == fields, language
