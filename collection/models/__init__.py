from collection.models.campaign import Campaign, Consent, ModelEndpoint, SensitiveTopic
from collection.models.chat import ChatSession, Turn, TurnFlag
from collection.models.research import ResearchSession, ToolQuery

__all__ = [
    "Campaign",
    "ChatSession",
    "Consent",
    "ModelEndpoint",
    "ResearchSession",
    "SensitiveTopic",
    "ToolQuery",
    "Turn",
    "TurnFlag",
]
