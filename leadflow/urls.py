from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("leadflow.review.urls")),
    path("sync/exact/", include("leadflow.integrations.exact.urls")),
    path("sync/", include("leadflow.sync.urls")),
    path("integrations/woocommerce/", include("leadflow.integrations.woocommerce.urls")),
    path("", include("leadflow.intake.urls")),
]
