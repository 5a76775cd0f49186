from csp.decorators import csp_update
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from leadflow.intake import api, views

app_name = "intake"
SWAGGER_UI_STYLE_HASH = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"

urlpatterns = [
    path("intake/forms/<slug:key>/", views.form_page, name="form-page"),
    path("intake/forms/<slug:key>/definition.json", views.form_definition, name="form-definition"),
    path("intake/forms/<slug:key>/submit", views.form_submit, name="form-submit"),
    path("intake/forms/<slug:key>/thanks", views.form_thanks, name="form-thanks"),
    path("api/leads/", api.LeadListCreateApi.as_view(), name="api-leads"),
    path("api/leads/<int:lead_id>/", api.LeadDetailApi.as_view(), name="api-lead"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the page needs no inline script (CSP). Swagger UI
    # injects one fixed stylesheet, allowed by its hash alone (it changes only with the pinned sidecar version).
    path(
        "api/docs/",
        csp_update({"style-src": [SWAGGER_UI_STYLE_HASH]})(
            SpectacularSwaggerSplitView.as_view(url_name="intake:api-schema")
        ),
        name="api-docs",
    ),
    # Last: every other /api/ URL gets the JSON 404 (any characters, a newline too: `path:` would miss those).
    re_path(r"^api/(?P<path>[\s\S]*)$", api.unknown_api_path),
]
