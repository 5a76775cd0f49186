"""Errors in the two shapes Exact uses: OData errors for the API, OAuth2 errors
for the token endpoint."""


class ApiError(Exception):
    """An error of the REST API, answered as Exact's OData v2 error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict:
        return odata_error_body(self.message)


class OAuthError(Exception):
    """An error of /api/oauth2/token, answered as RFC 6749 section 5.2 says."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


def odata_error_body(message: str) -> dict:
    return {"error": {"code": "", "message": {"lang": "", "value": message}}}


class Unauthorized(ApiError):
    """401; ``client_id`` is known when the token was real but has expired, so
    the error still counts towards that app's error ban."""

    def __init__(self, client_id: str | None) -> None:
        super().__init__(401, "Access token is missing, invalid or expired.")
        self.client_id = client_id
