from django.urls import path

from collection.api import chat

urlpatterns = [
    path("chat/campaigns/", chat.CampaignListApi.as_view(), name="chat-campaigns"),
    path("chat/campaigns/<slug:slug>/consent/", chat.ConsentAcceptApi.as_view(), name="chat-consent"),
    path("chat/campaigns/<slug:slug>/sessions/", chat.SessionStartApi.as_view(), name="chat-session-start"),
    path("chat/sessions/<int:session_id>/", chat.SessionDetailApi.as_view(), name="chat-session"),
    path("chat/sessions/<int:session_id>/messages/", chat.MessageSendApi.as_view(), name="chat-session-message"),
    path("chat/sessions/<int:session_id>/retry/", chat.ReplyRetryApi.as_view(), name="chat-session-retry"),
    path("chat/sessions/<int:session_id>/finish/", chat.SessionFinishApi.as_view(), name="chat-session-finish"),
    path(
        "chat/sessions/<int:session_id>/turns/<int:turn_index>/flag/",
        chat.TurnFlagApi.as_view(),
        name="chat-turn-flag",
    ),
]
