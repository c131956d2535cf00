"""What of an unsent text (a refused chat message, a refused rewrite) comes back in its box on the next page."""

from django.utils.translation import gettext as _


def kept_for_the_box(text: str, limit: int) -> tuple[str, str]:
    """The text cut at twice its limit (the session is no store for megabytes), and a note saying so when it was
    cut ("" when it was not)."""
    keep = 2 * limit
    if len(text) <= keep:
        return text, ""
    return text[:keep], _("Only its first %(n)d characters are kept in the box.") % {"n": keep}
