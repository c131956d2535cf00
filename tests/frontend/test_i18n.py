"""Worker pages are ready for translation: the shipped English catalog is compiled from its .po, and a catalog
for another language turns the pages into that language."""

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.collection.factories import CampaignFactory, ChatSessionFactory
from tests.factories import UserFactory

CATALOG = Path(django_settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
needs_msgfmt = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is installed by bootstrap.sh")


@needs_msgfmt
def test_the_shipped_mo_is_compiled_from_the_current_po(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(CATALOG / "django.po")], check=True)
    with open(fresh, "rb") as a, open(CATALOG / "django.mo", "rb") as b:
        assert gettext.GNUTranslations(a)._catalog == gettext.GNUTranslations(b)._catalog, (
            "run: msgfmt -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po"
        )


def test_the_catalog_holds_the_worker_page_strings():
    po = (CATALOG / "django.po").read_text()
    for text in ("Enter sends, Shift+Enter makes a new line.", "The model is typing…", "Skip this response"):
        assert f'msgid "{text}"' in po


@needs_msgfmt
@pytest.mark.django_db
def test_a_catalog_for_another_language_translates_the_chat_page(tmp_path, settings, fake_backend):
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Send"\nmsgstr "Senden"\n\nmsgid "The model is typing…"\nmsgstr "Das Modell schreibt…"\n'
    )
    subprocess.run(["msgfmt", "-o", str(folder / "django.mo"), str(folder / "django.po")], check=True)
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]
    settings.LANGUAGES = [("en", "English"), ("de", "German")]
    user = UserFactory()
    session = ChatSessionFactory(worker=user, campaign=CampaignFactory())
    client = Client()
    client.force_login(user)
    try:
        de = client.get(reverse("frontend:chat", args=[session.pk]), HTTP_ACCEPT_LANGUAGE="de").content.decode()
        en = client.get(reverse("frontend:chat", args=[session.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    finally:
        translation.trans_real._translations = {}
    assert ">Senden</button>" in de and "Das Modell schreibt…" in de
    assert ">Send</button>" in en and "The model is typing…" in en


@needs_msgfmt
@pytest.mark.django_db
def test_a_catalog_translates_the_services_messages_too(tmp_path, settings):
    from collection.services.chat import message_clean
    from collection.services.research_tasks import research_outcome_submit
    from config.api_errors import ApplicationError

    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        "#, python-format\n"
        'msgid "Your message is %(n)s characters long; the limit is %(limit)s."\n'
        'msgstr "Ihre Nachricht hat %(n)s Zeichen; erlaubt sind %(limit)s."\n\n'
        'msgid "The outcome must be one of %(choices)s."\nmsgstr "Das Ergebnis muss eines von %(choices)s sein."\n'
    )
    subprocess.run(["msgfmt", "-o", str(folder / "django.mo"), str(folder / "django.po")], check=True)
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]
    settings.LANGUAGES = [("en", "English"), ("de", "German")]
    try:
        with translation.override("de"):
            with pytest.raises(ApplicationError, match="Ihre Nachricht hat 2001 Zeichen; erlaubt sind 2000"):
                message_clean("x" * 2001)
            with pytest.raises(ApplicationError, match="Das Ergebnis muss eines von"):
                research_outcome_submit(session=None, worker=None, outcome="maybe")
    finally:
        translation.trans_real._translations = {}
