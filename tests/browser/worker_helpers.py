"""Shared steps of the worker-page browser tests: sizes, login, the axe-core check."""

from axe_playwright_python.sync_playwright import Axe

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 740}  # a common phone's CSS viewport
SIZES = {"desktop": DESKTOP, "phone": PHONE}
_axe = Axe()


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('My tasks')")


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line each."""
    found = _axe.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def no_reload_marker(page) -> None:
    page.evaluate("window.__sameDocument = true")


def same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")
