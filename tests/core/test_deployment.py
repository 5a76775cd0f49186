"""The Compose deployment, tested through the files and settings it uses (no Docker on this machine): the proxy in
front of scaled web replicas, the media volume shared with the worker, forwarded headers trusted from the proxy
only, pinned images, hashed Python dependencies, and a deploy check that refuses stand-ins."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from leadflow.core.proxies import TrustedProxyMiddleware

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
# What an operator puts in .env (real-looking values; none is a stand-in).
OPERATOR_ENV = {
    "SECRET_KEY": "q8Zr-a-long-random-production-secret-0123456789abcdefXYZ",
    "LEADFLOW_SITE": "leads.example.com",
    "EMAIL_URL": "smtp+tls://leadflow:secret@smtp.example.com:587",
    "SALESFORCE_INSTANCE_URL": "https://example.my.salesforce.com",
    "SALESFORCE_CLIENT_ID": "3MVG9-real-client-id",
    "SALESFORCE_CLIENT_SECRET": "real-client-secret",
}


def _substitute(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}."""

    def one(match: re.Match) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3) or ""
        if env.get(name):
            return env[name]
        if kind == ":?":
            raise KeyError(f"{name} is required: {rest}")
        return rest if kind == ":-" else ""

    return re.sub(r"\$\{(\w+)(:[-?])?([^}]*)\}", one, str(value))


def web_environment(**overrides: str) -> dict[str, str]:
    env = {**OPERATOR_ENV, **overrides}
    return {name: _substitute(value, env) for name, value in SERVICES["web"]["environment"].items()}


def test_web_publishes_no_port_so_it_scales_and_the_proxy_is_the_only_door():
    assert "ports" not in SERVICES["web"]
    assert SERVICES["proxy"]["ports"] == ["80:80", "443:443"]
    assert "reverse_proxy" in (ROOT / "Caddyfile").read_text() and "dynamic a" in (ROOT / "Caddyfile").read_text()


def test_the_app_trusts_forwarded_headers_from_the_proxys_fixed_address_only():
    proxy_address = SERVICES["proxy"]["networks"]["default"]["ipv4_address"]
    env = web_environment()
    assert env["LEADFLOW_TRUSTED_PROXIES"] == proxy_address
    seen = {}

    def view(request):
        seen[request.META["REMOTE_ADDR"]] = request.is_secure()
        return HttpResponse()

    with override_settings(
        LEADFLOW_TRUSTED_PROXIES=[proxy_address], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
    ):
        middleware = TrustedProxyMiddleware(view)
        headers = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
        middleware(RequestFactory().get("/", REMOTE_ADDR=proxy_address, **headers))
        middleware(RequestFactory().get("/", REMOTE_ADDR="172.28.0.23", **headers))  # another container
    assert seen == {"198.51.100.7": True, "172.28.0.23": False}


def test_web_and_worker_share_the_media_volume_where_uploads_are_stored():
    media_root = web_environment()["MEDIA_ROOT"]
    for service in ("web", "worker"):
        volumes = SERVICES[service].get("volumes", COMPOSE["x-leadflow"]["volumes"])
        assert f"media:{media_root}" in volumes, service
    assert "media" in COMPOSE["volumes"]


def test_every_image_is_pinned_to_a_release_and_python_dependencies_to_hashes():
    for name, service in SERVICES.items():
        image = service.get("image", "")
        if "build" not in service:
            assert re.search(r":\d+\.\d+(\.\d+)?", image), f"{name}: {image} is not pinned to a release"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11\.\d+-slim-bookworm$", dockerfile, re.M)
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/health/web/" in dockerfile


def test_the_lock_file_pins_exactly_the_versions_requirements_txt_names():
    def pins(text: str) -> dict[str, str]:
        found = re.findall(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", text, re.M)
        return {name.lower().replace("_", "-"): version for name, version in found}

    wanted, locked = pins((ROOT / "requirements.txt").read_text()), pins((ROOT / "requirements.lock").read_text())
    assert {name: locked.get(name) for name in wanted} == wanted
    assert all("--hash=sha256:" in block for block in (ROOT / "requirements.lock").read_text().split("==")[1:])


def _deploy_check(env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL", "CELERY", "CACHE"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, **env, "LEADFLOW_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "leadflow.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_compose_settings_pass_the_deploy_check_without_a_single_warning(tmp_path):
    result = _deploy_check(web_environment(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("override", "check_id"),
    [
        ({"EXACT_BASE_URL": "http://127.0.0.1:8766"}, "leadflow.E010"),
        ({"SALESFORCE_INSTANCE_URL": "http://localhost:8765"}, "leadflow.E010"),
        ({"SALESFORCE_CLIENT_SECRET": "leadflow-sandbox-secret"}, "leadflow.E011"),
        ({"EXACT_CLIENT_SECRET": "standin-secret"}, "leadflow.E011"),
        ({"EMAIL_URL": "consolemail://"}, "leadflow.E012"),
    ],
)
def test_production_with_a_stand_in_url_or_secret_refuses_to_start(tmp_path, override, check_id):
    result = _deploy_check(web_environment(**override), tmp_path)
    assert result.returncode != 0
    assert check_id in result.stderr + result.stdout


def test_compose_refuses_to_start_without_the_required_secrets():
    with pytest.raises(KeyError, match="EMAIL_URL"):
        {name: _substitute(value, {"SECRET_KEY": "x"}) for name, value in SERVICES["web"]["environment"].items()}
