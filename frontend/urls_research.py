from django.urls import path

from frontend.views import research

urlpatterns = [
    path("research/", research.research_next, name="research_next"),
    path("research/<int:session_id>/", research.research_page, name="research_page"),
    path("research/<int:session_id>/query/", research.research_query, name="research_query"),
    path("research/<int:session_id>/mark/", research.research_mark, name="research_mark"),
    path("research/<int:session_id>/draft/", research.research_draft, name="research_draft"),
    path("research/<int:session_id>/submit/", research.research_submit, name="research_submit"),
    path("rate/<int:item_id>/check/", research.check_query, name="check_query"),
]
