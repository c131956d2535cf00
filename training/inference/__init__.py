"""Inference on an exported model: the export format, KV-cache generation and `ChatModel` (the platform's entry).

from training.inference import ChatModel
"""

from training.inference.chat import ChatModel, Reply

__all__ = ["ChatModel", "Reply"]
