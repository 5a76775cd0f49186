from django.urls import path

from leadflow.integrations.exact import views

app_name = "exact"

# Mounted at /sync/exact/ (leadflow/urls.py): the callback URL is registered with Exact as EXACT_REDIRECT_URI.
urlpatterns = [
    path("<int:target_id>/connect/", views.connect, name="connect"),
    path("callback/", views.callback, name="callback"),
]
