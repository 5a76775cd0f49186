from django.contrib.auth import views as auth_views
from django.urls import path

from leadflow.review import steering, views

app_name = "review"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="review/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.queue, name="queue"),
    path("views/", views.saved_view_add, name="saved-view-add"),
    path("views/<int:view_id>/delete/", views.saved_view_delete, name="saved-view-delete"),
    path("leads/<int:lead_id>/", views.lead_detail, name="lead"),
    path("leads/<int:lead_id>/fields/<str:field>/", views.lead_field, name="lead-field"),
    path("leads/<int:lead_id>/transitions/<str:name>/", views.lead_transition, name="lead-transition"),
    path("leads/<int:lead_id>/owner/", views.lead_assign, name="lead-assign"),
    path("leads/<int:lead_id>/conversion/", views.lead_conversion, name="lead-conversion"),
    path("leads/<int:lead_id>/notes/", views.lead_note, name="lead-note"),
    path("leads/<int:lead_id>/activities/", views.lead_activity, name="lead-activity"),
    path(
        "leads/<int:lead_id>/candidates/<int:candidate_id>/dismiss/",
        views.candidate_dismiss,
        name="candidate-dismiss",
    ),
    path(
        "leads/<int:lead_id>/candidates/<int:candidate_id>/existing-customer/",
        views.candidate_existing_customer,
        name="candidate-existing-customer",
    ),
    path("leads/<int:lead_id>/candidates/<int:candidate_id>/merge/", views.lead_merge, name="lead-merge"),
    path("bulk/", views.bulk_start, name="bulk"),
    path("bulk/<int:job_id>/", views.bulk_job, name="bulk-job"),
    path("sla/", views.sla, name="sla"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("notifications/", views.notifications, name="notifications"),
    path("held/", views.held, name="held"),
    path("held/<int:submission_id>/<str:decision>/", views.held_decide, name="held-decide"),
    path("manage/", steering.index, name="manage"),
    path("manage/criteria/", steering.criteria, name="manage-criteria"),
    path("manage/forms/", steering.lead_forms, name="manage-forms"),
    path("manage/forms/new/", steering.lead_form_edit, name="manage-form-new"),
    path("manage/forms/<int:form_id>/", steering.lead_form_edit, name="manage-form"),
    path("manage/sync/", steering.sync_targets, name="manage-sync"),
    path("manage/sync/new/<str:kind>/", steering.sync_target_edit, name="manage-sync-new"),
    path("manage/sync/<int:target_id>/", steering.sync_target_edit, name="manage-sync-target"),
    path("manage/sync/<int:target_id>/<str:action>/", steering.sync_target_switch, name="manage-sync-switch"),
    path("manage/<slug:kind>/", steering.rows, name="manage-rows"),
    path("manage/<slug:kind>/<int:row_id>/", steering.row_edit, name="manage-row"),
    path("manage/<slug:kind>/<int:row_id>/delete/", steering.row_delete, name="manage-row-delete"),
]
