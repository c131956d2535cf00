"""Rating forms as data: loading a version's questions, checking a rater's answers against them, and finding the
form a campaign rates with (docs/rating-forms.md).

A published version never changes (the admin edits drafts only; a change is a new version), so a loaded version is
cached by id for the life of the process: the rating path reads no form tables after the first item of a version.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from django.utils.translation import gettext

from annotation.models import FormVersion, RatingForm
from config.api_errors import ApplicationError, Conflict

DEFAULT_FORM_SLUGS = {"quality": "quality-ssi", "safety": "safety", "groundedness": "claim-check"}
CORRECTNESS_FORM_SLUG = "groundedness-correctness"  # what researched replies are judged on (docs/groundedness.md)


class NoForm(Conflict):
    """409: the campaign has no published rating form version (nothing can be rated yet)."""


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    title: str
    help_text: str
    details: tuple[str, ...]
    choices: tuple[tuple[str, str], ...]
    asked_if: tuple[str, str] | None  # (question key, answer) that opens this question

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "help_text": self.help_text,
            "details": list(self.details),
            "choices": [{"value": v, "label": lab} for v, lab in self.choices],
            "asked_if": None if self.asked_if is None else {"question": self.asked_if[0], "answer": self.asked_if[1]},
        }


@dataclass(frozen=True)
class FormSpec:
    version_id: int
    label: str  # "quality-ssi/v1"
    rule: str
    questions: tuple[QuestionSpec, ...]
    shows_toolset: bool = False  # the rating page offers the toolset (checking claims)

    @cached_property
    def keys(self) -> tuple[str, ...]:
        return tuple(q.key for q in self.questions)

    @cached_property
    def _as_dict(self) -> dict:
        return {"version": self.label, "questions": [q.as_dict() for q in self.questions]}

    def as_dict(self) -> dict:
        """The form as the API shows it (built once per version and process; treat it as read-only)."""
        return self._as_dict


_cache: dict[int, FormSpec] = {}
_lock = threading.Lock()


def form_spec(version_id: int) -> FormSpec:
    """The questions of a published form version (cached: published versions are immutable)."""
    spec = _cache.get(version_id)
    if spec is None:
        version = FormVersion.objects.select_related("form").get(pk=version_id)
        spec = _load(version)
        if version.published_at is not None:
            with _lock:
                _cache[version_id] = spec
    return spec


def _load(version: FormVersion) -> FormSpec:
    questions = tuple(
        QuestionSpec(
            key=q.key,
            title=q.title,
            help_text=q.help_text,
            details=tuple(q.details or ()),
            choices=tuple((str(v), str(lab)) for v, lab in q.choices),
            asked_if=(q.asked_if_key, q.asked_if_value) if q.asked_if_key else None,
        )
        for q in version.questions.order_by("position")
    )
    return FormSpec(
        version_id=version.pk,
        label=version.label,
        rule=version.form.rule,
        questions=questions,
        shows_toolset=version.form.shows_toolset,
    )


# item -> (form version, chatter): both fixed once the item exists. The claim reads them with the dialog, the submit
# that follows (same rater, same keep-alive connection, so the same process) finds them here instead of asking the
# database again (docs/assignment.md).
_items: OrderedDict[int, tuple[int, int]] = OrderedDict()
_ITEMS_MAX = 50_000


def remember_item(item_id: int, version_id: int, chatter_id: int) -> None:
    with _lock:
        _items[item_id] = (version_id, chatter_id)
        _items.move_to_end(item_id)
        while len(_items) > _ITEMS_MAX:
            _items.popitem(last=False)


def remembered_item(item_id: int) -> tuple[int, int] | None:
    return _items.get(item_id)


def clear_caches() -> None:
    """Forget every cached version and item (tests whose database is rebuilt reuse ids; a server never does)."""
    with _lock:
        _cache.clear()
        _items.clear()


def version_problems(version: FormVersion) -> list[str]:
    """What makes a version unusable (checked before it is published): no questions, a cascade that names a
    question that is not earlier in the form, or an answer that question cannot give, and whatever the form's rule
    cannot count (e.g. a safety objective without a "no" choice)."""
    from annotation.rules import RULES

    spec = _load(version)
    if not spec.questions:
        return ["A form version needs at least one question."]
    rule = RULES.get(spec.rule)
    if rule is None:
        return [f"The form names the rule '{spec.rule}', which does not exist ({', '.join(RULES)})."]
    problems, earlier = [], {}
    for q in spec.questions:
        if q.asked_if is not None:
            key, value = q.asked_if
            if key not in earlier:
                problems.append(f"{q.key}: is asked only after '{key}', which is not an earlier question.")
            elif value not in earlier[key]:
                problems.append(
                    f"{q.key}: '{key}' cannot be answered '{value}' (its choices: {', '.join(earlier[key])})."
                )
        earlier[q.key] = [v for v, _ in q.choices]
    return problems + rule.problems(spec)


def answers_check(spec: FormSpec, answers: object) -> dict[str, str]:
    """The answers as stored ({key: value} of the questions asked), or ApplicationError (400) saying what is wrong:
    not an object, an unknown question, a value that is not one of its choices, a missing answer to a question that
    was asked, or an answer to one the cascade did not ask."""
    if not isinstance(answers, Mapping):
        raise ApplicationError(gettext("answers must be an object of {question: answer}."))
    unknown = sorted(str(k) for k in answers if k not in spec.keys)
    if unknown:
        raise ApplicationError(
            gettext("%(key)s: not a question of this form (%(form)s; its questions: %(keys)s).")
            % {"key": unknown[0], "form": spec.label, "keys": ", ".join(spec.keys)}
        )
    clean: dict[str, str] = {}
    for q in spec.questions:
        value = answers.get(q.key)
        value = None if value in ("", None) else value
        choices = [v for v, _ in q.choices]
        if value is not None and value not in choices:
            raise ApplicationError(
                gettext("%(key)s: '%(value)s' is not one of %(choices)s.")
                % {"key": q.key, "value": value, "choices": ", ".join(choices)}
            )
        asked = q.asked_if is None or clean.get(q.asked_if[0]) == q.asked_if[1]
        if asked and value is None:
            raise ApplicationError(
                gettext("%(key)s: an answer is required (%(choices)s).") % {"key": q.key, "choices": ", ".join(choices)}
            )
        if not asked and value is not None:
            raise ApplicationError(
                gettext(
                    "%(key)s: must be left out: it is asked only when %(other)s is '%(value)s' (an unasked question "
                    "counts as a negative)."
                )
                % {"key": q.key, "other": q.asked_if[0], "value": q.asked_if[1]}
            )
        if value is not None:
            clean[q.key] = value
    return clean


def shipped_form(slug: str) -> RatingForm | None:
    """A form the platform ships with (annotation/form_seeds.py), installed by migration 0003; made again here if it
    is missing (an emptied database, a test that flushed the tables), published at version 1."""
    form = RatingForm.objects.filter(slug=slug).first()
    if form is not None:
        return form
    from django.db import IntegrityError, transaction

    from annotation.form_seeds import FORMS, install
    from annotation.models import Question

    spec = next((f for f in FORMS if f["slug"] == slug), None)
    if spec is None:
        return None
    try:
        with transaction.atomic():
            return install(spec, RatingForm=RatingForm, FormVersion=FormVersion, Question=Question)
    except IntegrityError:  # made concurrently
        return RatingForm.objects.get(slug=slug)


def form_for_campaign(campaign) -> FormVersion:
    """The published form version new items of this campaign get (the campaign's form, else its kind's default)."""
    form = campaign.rating_form
    if form is None:
        form = shipped_form(DEFAULT_FORM_SLUGS.get(campaign.kind, ""))
    version = form.current_version() if form is not None else None
    if version is None:
        raise NoForm(f"Campaign {campaign.slug!r} has no published rating form for {campaign.kind} campaigns.")
    return version


def attack_goals_for_campaign(campaign) -> list[str]:
    """Adversarial safety chats draw their attack goal from the sub-items (details) of the campaign's form."""
    try:
        spec = form_spec(form_for_campaign(campaign).pk)
    except NoForm:
        return []
    return [detail for q in spec.questions for detail in q.details]
