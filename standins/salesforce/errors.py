"""Salesforce's error bodies: a list of {message, errorCode, fields} with the matching HTTP status."""


class ApiError(Exception):
    """A non-2xx answer; `errors` is the JSON body (for a 300, the list of matching record URLs)."""

    def __init__(self, status: int, errors: list) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = errors


def api_error(status: int, error_code: str, message: str, fields: list[str] | None = None) -> ApiError:
    body = {"message": message, "errorCode": error_code}
    if fields is not None:
        body["fields"] = fields
    return ApiError(status, [body])


def not_found(message: str = "The requested resource does not exist") -> ApiError:
    return api_error(404, "NOT_FOUND", message)


def bad_request(error_code: str, message: str, fields: list[str] | None = None) -> ApiError:
    return api_error(400, error_code, message, fields)
