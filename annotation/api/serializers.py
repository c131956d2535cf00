import re

from rest_framework import serializers

_DATETIME = serializers.DateTimeField()  # one shared instance: formats like every DateTimeField of the API


def _datetime(value) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


class TurnOutput(serializers.Serializer):
    index = serializers.IntegerField()
    speaker = serializers.CharField()
    text = serializers.CharField()


class ChoiceOutput(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class AskedIfOutput(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.CharField()


class QuestionOutput(serializers.Serializer):
    key = serializers.CharField(help_text="the name of this answer in `answers`")
    title = serializers.CharField()
    help_text = serializers.CharField()
    details = serializers.ListField(child=serializers.CharField())
    choices = ChoiceOutput(many=True)
    asked_if = AskedIfOutput(allow_null=True, help_text="asked only when that question got that answer")


class FormOutput(serializers.Serializer):
    version = serializers.CharField(help_text="e.g. quality-ssi/v1")
    questions = QuestionOutput(many=True)


class LabelOutput(serializers.Serializer):
    item = serializers.IntegerField(source="item_id")
    answers = serializers.DictField(child=serializers.CharField(), help_text="{question key: answer}")
    created_at = serializers.DateTimeField()


def label_output(label) -> dict:
    """LabelOutput(label).data, built directly (the rating path answers thousands of these a minute; a DRF
    serializer deep-copies its fields on every instantiation). tests/annotation/test_api_output.py holds the two
    equal."""
    return {"item": label.item_id, "answers": dict(label.answers), "created_at": _datetime(label.created_at)}


class ItemOutput(serializers.Serializer):
    """What a rater sees: the dialog up to the rated (last) turn, the form to answer, and only their own label."""

    id = serializers.IntegerField(source="item_id")
    campaign = serializers.CharField(source="campaign.slug")
    rated_turn_index = serializers.SerializerMethodField()
    dialog = TurnOutput(many=True)
    form = serializers.SerializerMethodField()
    lease_expires_at = serializers.DateTimeField(allow_null=True)
    your_label = LabelOutput(source="own_label", allow_null=True)

    def get_rated_turn_index(self, view) -> int:
        return view.dialog[-1].index

    def get_form(self, view) -> FormOutput:
        return view.form.as_dict()


def item_output(view) -> dict:
    """ItemOutput(view).data, built directly (see label_output)."""
    return {
        "id": view.item_id,
        "campaign": view.campaign.slug,
        "rated_turn_index": view.dialog[-1].index,
        "dialog": [{"index": t.index, "speaker": t.speaker, "text": t.text} for t in view.dialog],
        "form": view.form.as_dict(),
        "lease_expires_at": _datetime(view.lease_expires_at),
        "your_label": None if view.own_label is None else label_output(view.own_label),
    }


class ClaimInput(serializers.Serializer):
    campaign = serializers.SlugField(required=False, help_text="only items of this campaign (its slug)")


class LabelInput(serializers.Serializer):
    """`{"answers": {question key: answer}}` for the item's form (its questions come with the item). A question
    the cascade does not ask is left out. The answers may also be top-level fields (e.g. `{"sensible": "no"}`),
    as before forms were data."""

    answers = serializers.DictField(
        child=serializers.CharField(allow_null=True, allow_blank=True), required=False, help_text="{key: answer}"
    )

    def validate(self, attrs):
        others = sorted(k for k in self.initial_data if k != "answers")
        if "answers" in attrs and others:
            raise serializers.ValidationError(f"Give the answers in `answers` only; unknown field: {others[0]}.")
        if "answers" not in attrs:
            flat = dict(self.initial_data)
            if not all(isinstance(v, str) or v is None for v in flat.values()):
                raise serializers.ValidationError('Each answer must be text, e.g. {"answers": {"sensible": "yes"}}.')
            attrs["answers"] = flat
        return attrs


class SubmitAndNextInput(serializers.Serializer):
    """`{"answers": {question key: answer}, "campaign": slug}`: the answers for this item (as for
    items/<id>/labels/, in `answers` only), and where the next item may come from (as for assignments/next/)."""

    answers = serializers.DictField(
        child=serializers.CharField(allow_null=True, allow_blank=True), help_text="{key: answer}"
    )
    campaign = serializers.SlugField(required=False, help_text="the next item only from this campaign (its slug)")

    def validate(self, attrs):
        unknown = sorted(str(k) for k in self.initial_data if k not in self.fields)
        if unknown:
            raise serializers.ValidationError(f"Unknown field: {unknown[0]} (the answers go in `answers`).")
        return attrs


_SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # SlugField's pattern
_ABSENT = object()


def _plain_answer(value) -> bool:
    """An answer the serializer's CharField would return unchanged: None, or printable ASCII text without
    surrounding blanks (nothing to trim, no NUL, no surrogate)."""
    return value is None or (type(value) is str and value.isascii() and value.isprintable() and value == value.strip())


def _plain_slug(value) -> bool:
    return value is _ABSENT or (type(value) is str and _SLUG.fullmatch(value) is not None)


def claim_input(data) -> dict:
    """ClaimInput(data=data).validated_data, the usual body (`{}` or a plain slug) checked directly; anything else
    goes through the serializer, with its errors. tests/annotation/test_api_input.py holds the two equal."""
    if type(data) is dict and data.keys() <= {"campaign"} and _plain_slug(campaign := data.get("campaign", _ABSENT)):
        return {} if campaign is _ABSENT else {"campaign": campaign}
    return _validated(ClaimInput, data)


def submit_and_next_input(data) -> dict:
    """SubmitAndNextInput(data=data).validated_data, the usual body (plain answers, a plain slug or none) checked
    directly: the rating path receives thousands a minute, and a DRF serializer deep-copies its fields on every
    instantiation. Anything else goes through the serializer, with its errors (tests/annotation/test_api_input.py
    holds the two equal)."""
    if type(data) is dict and data.keys() <= {"answers", "campaign"}:
        answers, campaign = data.get("answers"), data.get("campaign", _ABSENT)
        if type(answers) is dict and all(map(_plain_answer, answers.values())) and _plain_slug(campaign):
            return {"answers": dict(answers)} | ({} if campaign is _ABSENT else {"campaign": campaign})
    return _validated(SubmitAndNextInput, data)


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class NoNextOutput(serializers.Serializer):
    """Why the answer carries no next item. The label is stored all the same."""

    detail = serializers.CharField()
    code = serializers.CharField(
        help_text="no_work (nothing left for you), busy (other raters hold every open item this moment), "
        "content_warning (read the campaign's `warning`, POST campaigns/<slug>/warning/), daily_cap"
    )
    retry_after = serializers.IntegerField(
        allow_null=True, help_text="busy, daily_cap: seconds to wait before asking assignments/next/ again"
    )
    warning = serializers.CharField(required=False, help_text="content_warning: the text to show first")


class SubmitAndNextOutput(serializers.Serializer):
    label = LabelOutput(help_text="the label stored (201) or, for a repeat of the same answers, the one stored (200)")
    next = ItemOutput(allow_null=True, help_text="your next item under a lease, as assignments/next/ answers it")
    no_next = NoNextOutput(allow_null=True, help_text="null when `next` is given")


def submit_and_next_output(label, view, no_next: dict | None) -> dict:
    """SubmitAndNextOutput(...).data, built directly (see label_output)."""
    return {
        "label": label_output(label),
        "next": None if view is None else item_output(view),
        "no_next": no_next,
    }


class StatsOutput(serializers.Serializer):
    campaign = serializers.CharField(source="campaign.slug")
    kind = serializers.CharField(source="campaign.kind")
    rule_version = serializers.CharField()
    items_total = serializers.IntegerField()
    items_open = serializers.IntegerField()
    items_complete = serializers.IntegerField()
    items_aggregated = serializers.IntegerField()
    labels = serializers.IntegerField()
    rates = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="share of aggregated items positive per attribute"
    )
    sensibleness = serializers.SerializerMethodField()
    specificity = serializers.SerializerMethodField()
    interestingness = serializers.SerializerMethodField()
    ssi = serializers.FloatField(allow_null=True, help_text="quality campaigns: the mean of the three rates")

    def get_sensibleness(self, stats) -> float | None:
        return stats.rates.get("sensible")

    def get_specificity(self, stats) -> float | None:
        return stats.rates.get("specific")

    def get_interestingness(self, stats) -> float | None:
        return stats.rates.get("interesting")
