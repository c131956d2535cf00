"""Inference on an exported model: the export format, KV-cache generation, sample-and-rank with the model's own
discriminators, the research loop, and `ChatModel` (the platform's entry). Design: docs/inference.md.

from training.inference import ChatModel, RankSettings
"""

from training.inference.chat import ChatModel, Reply
from training.inference.ranking.capability import NotADiscriminator
from training.inference.ranking.sample_rank import RankedReply
from training.inference.ranking.settings import RankSettings

__all__ = ["ChatModel", "NotADiscriminator", "RankSettings", "RankedReply", "Reply"]
