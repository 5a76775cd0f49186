"""Local stand-in for a Pipedrive company account (API v2 records, search, stages, v2 webhooks). See README.md."""

from standins.pipedrive.server import ACCESS_TOKEN, API_TOKEN, CUSTOM_FIELDS, PipedriveStandin

__all__ = ["ACCESS_TOKEN", "API_TOKEN", "CUSTOM_FIELDS", "PipedriveStandin"]
