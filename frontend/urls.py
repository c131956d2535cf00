from django.contrib.auth import views as auth_views
from django.urls import include, path

from frontend.views import demographics, home

app_name = "frontend"
urlpatterns = [
    path("", home.tasks, name="tasks"),
    path("me/about/", demographics.demographics, name="demographics"),
    path("me/about/delete/", demographics.demographics_forget, name="demographics_forget"),
    path("me/about/no-thanks/", demographics.demographics_no_thanks, name="demographics_no_thanks"),
    path("", include("frontend.urls_chat")),
    path("", include("frontend.urls_rate")),
    path("", include("frontend.urls_panel")),
    path("", include("frontend.urls_research")),
]

# login/logout live outside the namespace so that settings.LOGIN_URL = "login" resolves
auth_patterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
