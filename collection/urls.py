from django.urls import re_path

from collection.api.chat_urls import urlpatterns as chat_patterns
from collection.api.research_urls import urlpatterns as research_patterns
from config.api_errors import API_CATCH_ALL, api_not_found

app_name = "collection_api"
# the catch-all comes last: a path under this prefix that names no endpoint gets a JSON 404, not an HTML page
urlpatterns = [*chat_patterns, *research_patterns, re_path(API_CATCH_ALL, api_not_found)]
