from django.urls import path

from leadflow.integrations.pipedrive import views

app_name = "pipedrive"
urlpatterns = [path("webhook/", views.webhook, name="webhook")]
