import pytest
from django.test import Client
from django.urls import reverse

from annotation.models import Aggregate, Lease, QualityLabel, RatingItem
from tests.factories import UserFactory


@pytest.mark.django_db
@pytest.mark.parametrize("model", [RatingItem, Lease, QualityLabel, Aggregate])
def test_every_annotation_model_is_in_the_admin(model, items):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse(f"admin:annotation_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    change = client.get(reverse("admin:annotation_ratingitem_change", args=[items[0].pk]))
    assert change.status_code == 200
