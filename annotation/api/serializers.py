from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from annotation.models import Answer


class AnswerField(serializers.ChoiceField):
    """yes / no / maybe. In the OpenAPI schema all three questions share one `Answer` enum component (plain
    ChoiceFields would each get their own enum name for the same choices, a schema warning)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Answer.choices, **kwargs)


class AnswerFieldSchema(OpenApiSerializerFieldExtension):
    target_class = AnswerField

    def map_serializer_field(self, auto_schema, direction):
        component = ResolvedComponent(
            name="Answer",
            type=ResolvedComponent.SCHEMA,
            object="Answer",
            schema={"type": "string", "enum": list(Answer.values), "description": "yes, no or maybe"},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class TurnOutput(serializers.Serializer):
    index = serializers.IntegerField()
    speaker = serializers.CharField()
    text = serializers.CharField()


class LabelOutput(serializers.Serializer):
    item = serializers.IntegerField(source="item_id")
    sensible = serializers.CharField()
    specific = serializers.CharField(allow_null=True)
    interesting = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class ItemOutput(serializers.Serializer):
    """What a rater sees: the dialog up to the rated (last) turn, and only their own label."""

    id = serializers.IntegerField(source="item_id")
    campaign = serializers.CharField(source="campaign.slug")
    rated_turn_index = serializers.SerializerMethodField()
    dialog = TurnOutput(many=True)
    lease_expires_at = serializers.DateTimeField(allow_null=True)
    your_label = LabelOutput(source="own_label", allow_null=True)

    def get_rated_turn_index(self, view) -> int:
        return view.dialog[-1].index


_DATETIME = serializers.DateTimeField()  # one shared instance: formats like every DateTimeField of the API


def _datetime(value) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def label_output(label) -> dict:
    """LabelOutput(label).data, built directly (the rating path answers thousands of these a minute; a DRF
    serializer deep-copies its fields on every instantiation). tests/annotation/test_api_output.py holds the two
    equal."""
    return {
        "item": label.item_id,
        "sensible": label.sensible,
        "specific": label.specific,
        "interesting": label.interesting,
        "created_at": _datetime(label.created_at),
    }


def item_output(view) -> dict:
    """ItemOutput(view).data, built directly (see label_output)."""
    return {
        "id": view.item_id,
        "campaign": view.campaign.slug,
        "rated_turn_index": view.dialog[-1].index,
        "dialog": [{"index": t.index, "speaker": t.speaker, "text": t.text} for t in view.dialog],
        "lease_expires_at": _datetime(view.lease_expires_at),
        "your_label": None if view.own_label is None else label_output(view.own_label),
    }


class ClaimInput(serializers.Serializer):
    campaign = serializers.SlugField(required=False, help_text="only items of this campaign (its slug)")


class LabelInput(serializers.Serializer):
    """Only an explicit "yes" continues the cascade: leave `specific` out unless sensible is yes, and
    `interesting` out unless specific is yes."""

    sensible = AnswerField()
    specific = AnswerField(required=False, allow_null=True)
    interesting = AnswerField(required=False, allow_null=True)


class StatsOutput(serializers.Serializer):
    campaign = serializers.CharField(source="campaign.slug")
    rule_version = serializers.CharField()
    items_total = serializers.IntegerField()
    items_open = serializers.IntegerField()
    items_complete = serializers.IntegerField()
    items_aggregated = serializers.IntegerField()
    labels = serializers.IntegerField()
    sensibleness = serializers.FloatField(source="rates.sensible", allow_null=True)
    specificity = serializers.FloatField(source="rates.specific", allow_null=True)
    interestingness = serializers.FloatField(source="rates.interesting", allow_null=True)
    ssi = serializers.FloatField(allow_null=True)
