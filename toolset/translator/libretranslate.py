"""Translator backend for a self-hosted LibreTranslate-compatible service (POST /translate). Any failure of
the
service (down, slow, error status, odd JSON) means "no translation", logged, never an exception."""

from __future__ import annotations

import logging

import requests

log = logging.getLogger(__name__)


class LibreTranslateBackend:
    name = "libretranslate"

    def __init__(self, url: str, *, api_key: str = "", timeout: float = 3.0, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self._http = session or requests.Session()

    def translate(self, text: str, *, source: str, target: str) -> str | None:
        payload = {"q": text, "source": source, "target": target, "format": "text"}
        if self.api_key:
            payload["api_key"] = self.api_key
        try:
            response = self._http.post(f"{self.url}/translate", json=payload, timeout=self.timeout)
            if response.status_code != 200:
                log.warning("LibreTranslate answered %s: %.200s", response.status_code, response.text)
                return None
            translated = response.json().get("translatedText")
        except (requests.RequestException, ValueError, AttributeError) as exc:
            log.warning("LibreTranslate at %s failed: %s", self.url, exc)
            return None
        return (translated.strip() or None) if isinstance(translated, str) else None
