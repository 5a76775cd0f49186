from django.contrib import admin
from django.urls import include, path

from leadflow.core.health import health, health_web

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("health/web/", health_web, name="health-web"),
    path("", include("leadflow.review.urls")),
    path("sync/exact/", include("leadflow.integrations.exact.urls")),
    path("sync/", include("leadflow.sync.urls")),
    path("integrations/woocommerce/", include("leadflow.integrations.woocommerce.urls")),
    path("integrations/pipedrive/", include("leadflow.integrations.pipedrive.urls")),
    path("", include("leadflow.intake.urls")),
]
