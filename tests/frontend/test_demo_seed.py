"""`manage.py demo_seed` seeds the demo campaign and accounts, and refuses a folder that is not a trainer export."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from collection.models import Campaign

pytestmark = pytest.mark.django_db


def test_a_checkpoint_folder_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(CommandError, match="not an exported checkpoint.*config.json"):
        call_command("demo_seed", "--checkpoint", str(tmp_path / "nope"))
    assert not Campaign.objects.exists()


def test_a_folder_without_weights_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(CommandError, match="model.safetensors"):
        call_command("demo_seed", "--checkpoint", str(tmp_path))


def test_an_export_folder_seeds_the_demo_and_prints_the_accounts(tmp_path):
    for name in ("config.json", "model.safetensors"):
        (tmp_path / name).write_text("")
    out = StringIO()
    call_command("demo_seed", "--checkpoint", str(tmp_path), stdout=out)
    campaign = Campaign.objects.get(slug="demo-quality")
    assert campaign.model_endpoint.checkpoint_path == str(tmp_path.resolve())
    assert "worker1" in out.getvalue() and "demo-admin-pw" in out.getvalue()
