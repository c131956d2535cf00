from collection.models.campaign import Campaign, Consent, ModelEndpoint
from collection.models.chat import ChatSession, Turn
from collection.models.research import ResearchSession, ToolQuery

__all__ = ["Campaign", "Consent", "ModelEndpoint", "ChatSession", "Turn", "ResearchSession", "ToolQuery"]
