from urllib.parse import urlsplit

from django import forms

from leadflow.integrations.woocommerce.models import WooStore

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class WooStoreForm(forms.ModelForm):
    """The connection an admin enters. Keys travel as HTTP Basic auth, which WooCommerce accepts only over
    https; plain http is allowed for a stand-in on this machine."""

    url = forms.URLField(assume_scheme="https", help_text="The shop's address, e.g. https://shop.example.nl")

    class Meta:
        model = WooStore
        fields = ("name", "url", "consumer_key", "consumer_secret", "webhook_secret", "enabled")
        widgets = {
            "consumer_secret": forms.PasswordInput(render_value=True),
            "webhook_secret": forms.PasswordInput(render_value=True),
        }

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].rstrip("/")
        parts = urlsplit(url)
        if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
            raise forms.ValidationError("Use the shop's https:// address: WooCommerce refuses API keys over http.")
        return url

    def clean_consumer_key(self) -> str:
        return _key(self.cleaned_data["consumer_key"], "ck_", "consumer key")

    def clean_consumer_secret(self) -> str:
        return _key(self.cleaned_data["consumer_secret"], "cs_", "consumer secret")


def _key(value: str, prefix: str, label: str) -> str:
    value = value.strip()
    if not value.startswith(prefix):
        raise forms.ValidationError(
            f"A WooCommerce {label} starts with {prefix} (WooCommerce → Settings → Advanced → REST API)."
        )
    return value
