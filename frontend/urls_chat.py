from django.urls import path

from frontend.views import chat, chat_finished

urlpatterns = [
    path("chat/<slug:slug>/", chat.campaign, name="campaign"),
    path("chat/<slug:slug>/start/", chat.campaign_start, name="campaign_start"),
    path("chat/session/<int:session_id>/", chat.chat, name="chat"),
    path("chat/session/<int:session_id>/send/", chat.chat_send, name="chat_send"),
    path("chat/session/<int:session_id>/retry/", chat.chat_retry, name="chat_retry"),
    path("chat/session/<int:session_id>/finish/", chat.chat_finish, name="chat_finish"),
    path("chat/session/<int:session_id>/turns/<int:turn_index>/flag/", chat.chat_flag, name="chat_flag"),
    path("chat/session/<int:session_id>/done/", chat_finished.chat_finished, name="chat_finished"),
]
