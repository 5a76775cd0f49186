"""Settings of the stand-in: the registered app, the company and the limits."""

from dataclasses import asdict, dataclass, fields


@dataclass
class StandinConfig:
    # The one app registered with the stand-in, as in Exact's App Center.
    client_id: str = "leadflow-exact-standin"
    client_secret: str = "standin-secret"  # noqa: S105 (a test stand-in's published credential)
    redirect_uri: str = "http://127.0.0.1:8000/sync/exact/callback/"
    # The company (division) the authorising user works in.
    division: int = 123456
    user_id: str = "5a4fd5b6-8c8e-4b8a-9a51-2d6f0f1d7e01"
    user_full_name: str = "Stand-in User"
    access_token_lifetime: int = 600
    # Exact refuses a new access token within this many seconds of the previous one (9.5 minutes).
    refresh_interval: int = 570
    authorization_code_lifetime: int = 180
    daily_limit: int = 5000
    minutely_limit: int = 60
    # More than this many 4xx errors per endpoint per hour blocks the endpoint.
    error_ban_threshold: int = 10
    error_ban_seconds: int = 3600
    # Exact pages list results; its standard endpoints return 60 rows per page.
    page_size: int = 60

    def update(self, changes: dict) -> None:
        """Apply changes from the control API; ValueError for unknown names,
        TypeError for values of the wrong type. Nothing changes on error."""
        types = {field.name: field.type for field in fields(self)}
        for name, value in changes.items():
            if name not in types:
                raise ValueError(f"unknown setting {name!r}")
            expected = int if types[name] in (int, "int") else str
            if not isinstance(value, expected) or isinstance(value, bool):
                raise TypeError(f"{name} must be {expected.__name__}")
        for name, value in changes.items():
            setattr(self, name, value)

    def as_dict(self) -> dict:
        return asdict(self)
