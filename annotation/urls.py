from django.urls import path, re_path

from annotation.api.views import (
    AssignmentNextApi,
    AssignmentReleaseApi,
    CampaignStatsApi,
    ItemDetailApi,
    LabelSubmitApi,
    SubmitAndNextApi,
    WarningAckApi,
)
from config.api_errors import API_CATCH_ALL, api_not_found

app_name = "annotation_api"
urlpatterns = [
    path("assignments/next/", AssignmentNextApi.as_view(), name="assignment-next"),
    path("items/<int:item_id>/", ItemDetailApi.as_view(), name="item-detail"),
    path("items/<int:item_id>/release/", AssignmentReleaseApi.as_view(), name="assignment-release"),
    path("items/<int:item_id>/labels/", LabelSubmitApi.as_view(), name="label-submit"),
    path("items/<int:item_id>/submit-and-next/", SubmitAndNextApi.as_view(), name="label-submit-next"),
    path("campaigns/<slug:slug>/stats/", CampaignStatsApi.as_view(), name="campaign-stats"),
    path("campaigns/<slug:slug>/warning/", WarningAckApi.as_view(), name="campaign-warning"),
    # last: a path under this prefix that names no endpoint gets a JSON 404, not an HTML page
    re_path(API_CATCH_ALL, api_not_found),
]
