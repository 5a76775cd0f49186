from django.apps import AppConfig


class WooCommerceConfig(AppConfig):
    name = "leadflow.integrations.woocommerce"
    label = "woocommerce"
    verbose_name = "WooCommerce"
