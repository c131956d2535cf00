"""Dataset export: labelled platform data -> the trainer's snapshot format (docs/export.md)."""
