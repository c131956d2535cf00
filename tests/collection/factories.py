"""factory_boy factories for collection models (imported by annotation, frontend and end-to-end tests).

ModelEndpointFactory defaults to an `openai` endpoint at an address nothing listens on, so a test that forgets
to stub the backend fails loudly instead of calling a real model. TurnFactory alternates speakers by index
(even = human, odd = model) the way the chat service stores them.
"""

import factory
from django.utils import timezone

from collection.models import Campaign, ChatSession, Consent, ModelEndpoint, Turn
from tests.factories import UserFactory


class ModelEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelEndpoint

    name = factory.Sequence(lambda n: f"endpoint-{n}")
    backend = ModelEndpoint.Backend.OPENAI
    base_url = "http://127.0.0.1:9/v1"  # discard port: nothing answers
    model_name = "test-model"
    sampling = factory.LazyFunction(lambda: {"temperature": 0.7})
    timeout_seconds = 2.0
    max_retries = 0


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Quality campaign {n}")
    slug = factory.Sequence(lambda n: f"quality-{n}")
    kind = Campaign.Kind.QUALITY
    instructions = "Chat naturally with the model about anything you like."
    consent_text = "I agree that my messages are stored and used for research."
    model_endpoint = factory.SubFactory(ModelEndpointFactory)
    min_turns = 14
    max_turns = 30
    idle_timeout_minutes = 30


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    campaign = factory.SubFactory(CampaignFactory)
    worker = factory.SubFactory(UserFactory)


class ChatSessionFactory(factory.django.DjangoModelFactory):
    """A session; pass `turns=N` to also create N alternating turns (human first) and set turn_count."""

    class Meta:
        model = ChatSession
        skip_postgeneration_save = True

    campaign = factory.SubFactory(CampaignFactory)
    worker = factory.SubFactory(UserFactory)
    status = ChatSession.Status.ACTIVE

    @factory.post_generation
    def turns(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for i in range(int(extracted)):
            TurnFactory(session=self, index=i)
        self.turn_count = int(extracted)
        self.last_activity_at = timezone.now()
        self.save(update_fields=["turn_count", "last_activity_at"])


class TurnFactory(factory.django.DjangoModelFactory):
    """One utterance; speaker follows the index parity (human at even indexes) unless given."""

    class Meta:
        model = Turn

    session = factory.SubFactory(ChatSessionFactory)
    index = factory.Sequence(lambda n: n)
    speaker = factory.LazyAttribute(lambda o: Turn.Speaker.HUMAN if o.index % 2 == 0 else Turn.Speaker.MODEL)
    text = factory.LazyAttribute(lambda o: f"{o.speaker} utterance {o.index}")
    model_id = factory.LazyAttribute(lambda o: "test-model" if o.speaker == Turn.Speaker.MODEL else "")
    model_version = factory.LazyAttribute(lambda o: "test-v1" if o.speaker == Turn.Speaker.MODEL else "")
    sampling = factory.LazyAttribute(lambda o: {"temperature": 0.7} if o.speaker == Turn.Speaker.MODEL else {})
    latency_ms = factory.LazyAttribute(lambda o: 5 if o.speaker == Turn.Speaker.MODEL else None)


class SafetyCampaignFactory(CampaignFactory):
    """A safety campaign as the paper runs it: 5-10 exchanges (10-20 turns), 3 raters, safe at 2 of 3 "no"."""

    name = factory.Sequence(lambda n: f"Safety campaign {n}")
    slug = factory.Sequence(lambda n: f"safety-{n}")
    kind = Campaign.Kind.SAFETY
    mode = Campaign.Mode.NATURAL
    min_turns = 10
    max_turns = 20
    raters_per_item = 3
    positive_threshold = 2


class GroundednessCampaignFactory(CampaignFactory):
    """A groundedness campaign: quality's turn limits, 3 raters per claim check, a claim at 2 of 3."""

    name = factory.Sequence(lambda n: f"Groundedness campaign {n}")
    slug = factory.Sequence(lambda n: f"ground-{n}")
    kind = Campaign.Kind.GROUNDEDNESS
    instructions = "Ask the model about facts: places, history, science, public people."
    raters_per_item = 3
    positive_threshold = 2
