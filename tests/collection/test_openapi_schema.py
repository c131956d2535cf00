"""The OpenAPI schema generates without warnings, validates against the OpenAPI spec, and documents the error
answers the API really gives (schemathesis flagged each undocumented one)."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        # --fail-on-warn raises SchemaGenerationError on any warning; --validate checks the OpenAPI 3 spec
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def _responses(schema, path, method="post"):
    return set(schema["paths"][path][method]["responses"])


def test_schema_generates_and_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/collection/chat/sessions/{session_id}/messages/" in schema["paths"]


def test_rating_answers_follow_the_form_that_comes_with_the_item(schema):
    """Forms are data: the item carries its questions (key, choices, cascade), a label is {key: answer}."""
    components = schema["components"]["schemas"]
    assert components["LabelInput"]["properties"]["answers"]["type"] == "object"
    assert components["ItemOutput"]["properties"]["form"]["allOf"] == [{"$ref": "#/components/schemas/FormOutput"}]
    question = components["QuestionOutput"]["properties"]
    assert {"key", "choices", "asked_if", "details"} <= set(question)


def test_error_answers_are_documented(schema):
    assert {"400", "403", "404", "409"} <= _responses(schema, "/api/v1/annotation/items/{item_id}/labels/")
    assert {"403", "404"} <= _responses(schema, "/api/v1/annotation/items/{item_id}/", "get")
    assert {"400", "404", "409"} <= _responses(schema, "/api/v1/collection/research/sessions/{session_id}/query/")
    assert "404" in _responses(schema, "/api/v1/collection/research/sessions/{session_id}/close/")


def test_field_validation_400_is_not_documented_as_detail_only(schema):
    # a field error answers {"text": ["This field is required."]}: the 400 schema must allow it
    r400 = schema["paths"]["/api/v1/collection/chat/sessions/{session_id}/messages/"]["post"]["responses"]["400"]
    body = r400["content"]["application/json"]["schema"]
    assert body.get("type") == "object" and "$ref" not in body
