from collection.api.chat_urls import urlpatterns as chat_patterns
from collection.api.research_urls import urlpatterns as research_patterns

app_name = "collection_api"
urlpatterns = [*chat_patterns, *research_patterns]
