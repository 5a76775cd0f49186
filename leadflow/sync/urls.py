from django.urls import path

from leadflow.sync import views

app_name = "sync"

urlpatterns = [
    path("", views.monitor, name="monitor"),
    path("jobs/retry/", views.retry_jobs, name="retry-jobs"),
    path("targets/<int:target_id>/retry/", views.retry_target, name="retry-target"),
]
