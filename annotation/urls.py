from django.urls import path

from annotation.api.views import (
    AssignmentNextApi,
    AssignmentReleaseApi,
    CampaignStatsApi,
    ItemDetailApi,
    LabelSubmitApi,
)

app_name = "annotation_api"
urlpatterns = [
    path("assignments/next/", AssignmentNextApi.as_view(), name="assignment-next"),
    path("items/<int:item_id>/", ItemDetailApi.as_view(), name="item-detail"),
    path("items/<int:item_id>/release/", AssignmentReleaseApi.as_view(), name="assignment-release"),
    path("items/<int:item_id>/labels/", LabelSubmitApi.as_view(), name="label-submit"),
    path("campaigns/<slug:slug>/stats/", CampaignStatsApi.as_view(), name="campaign-stats"),
]
