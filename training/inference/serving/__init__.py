"""The OpenAI-compatible chat-completions server over sample-and-rank (python -m training.serve)."""
