from collection.models.campaign import Campaign, Consent, ModelEndpoint, SensitiveTopic
from collection.models.chat import ChatSession, Turn, TurnFlag
from collection.models.corpus import CorpusIndex
from collection.models.research import Citation, ResearchSession, ResearchTask, ResultMark, Rewrite, ToolQuery

__all__ = [
    "Campaign",
    "ChatSession",
    "Citation",
    "Consent",
    "CorpusIndex",
    "ModelEndpoint",
    "ResearchSession",
    "ResearchTask",
    "ResultMark",
    "Rewrite",
    "SensitiveTopic",
    "ToolQuery",
    "Turn",
    "TurnFlag",
]
