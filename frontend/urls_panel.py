from django.urls import path

from frontend.views import invitation, panel

urlpatterns = [
    path("panel/<slug:slug>/", panel.panel_arrive_page, name="panel_arrive"),
    path("panel/visit/<int:visit_id>/complete/", panel.panel_complete, name="panel_complete"),
    path("invite/<str:token>/", invitation.invitation, name="invitation"),
]
