"""Factories shared by every app's tests (users). App-specific factories live in tests/<app>/factories.py."""

import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"worker{n}")
    password = factory.django.Password("pw-for-tests")
