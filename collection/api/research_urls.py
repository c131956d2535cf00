from django.urls import path

from collection.api.research import (
    ResearchQueryListApi,
    ResearchQueryRunApi,
    ResearchSessionCloseApi,
    ResearchSessionCreateApi,
)

urlpatterns = [
    path("research/sessions/", ResearchSessionCreateApi.as_view(), name="research-session-create"),
    path(
        "research/sessions/<int:session_id>/close/",
        ResearchSessionCloseApi.as_view(),
        name="research-session-close",
    ),
    path("research/sessions/<int:session_id>/query/", ResearchQueryRunApi.as_view(), name="research-query-run"),
    path(
        "research/sessions/<int:session_id>/queries/",
        ResearchQueryListApi.as_view(),
        name="research-query-list",
    ),
]
