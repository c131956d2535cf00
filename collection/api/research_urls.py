from django.urls import path

from collection.api.research import (
    ResearchQueryListApi,
    ResearchQueryRunApi,
    ResearchSessionCloseApi,
    ResearchSessionCreateApi,
)
from collection.api.research_tasks import (
    ResearchDraftApi,
    ResearchMarkApi,
    ResearchOutcomeApi,
    ResearchTaskClaimApi,
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
    path("research/tasks/claim/", ResearchTaskClaimApi.as_view(), name="research-task-claim"),
    path("research/sessions/<int:session_id>/draft/", ResearchDraftApi.as_view(), name="research-draft"),
    path("research/sessions/<int:session_id>/marks/", ResearchMarkApi.as_view(), name="research-mark"),
    path("research/sessions/<int:session_id>/outcome/", ResearchOutcomeApi.as_view(), name="research-outcome"),
]
