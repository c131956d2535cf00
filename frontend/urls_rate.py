from django.urls import path

from frontend.views import campaign, rate

urlpatterns = [
    path("rate/", rate.rate_next, name="rate"),
    path("rate/<int:item_id>/", rate.rate_submit, name="rate_submit"),
    path("rate/<int:item_id>/skip/", rate.rate_skip, name="rate_skip"),
    path("rate/warning/<slug:slug>/", rate.rate_warning_read, name="rate_warning_read"),
    path("campaigns/safety-overview/", campaign.safety_overview_page, name="safety_overview"),
    path("campaigns/<slug:slug>/stats/", campaign.campaign_stats_page, name="campaign_stats"),
]
