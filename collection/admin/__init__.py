"""Django admin: the first review console for every collection model (docs/admin.md)."""

from collection.admin import chat, research  # noqa: F401  (registers the models' admin classes)
