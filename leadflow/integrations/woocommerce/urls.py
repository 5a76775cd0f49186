from django.urls import path

from leadflow.integrations.woocommerce import views

app_name = "woocommerce"
urlpatterns = [path("<slug:store>/webhook/", views.webhook, name="webhook")]
