"""Local stand-in for a WooCommerce shop (REST API v3 collections and webhooks). See README.md."""

from standins.woocommerce.server import WooStandin, sign

__all__ = ["WooStandin", "sign"]
