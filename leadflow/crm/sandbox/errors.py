"""Salesforce's error bodies: a list of {message, errorCode, fields} with the matching HTTP status."""


class ApiError(Exception):
    def __init__(self, status: int, errors: list[dict]) -> None:
        super().__init__(errors[0].get("message", "") if errors else "")
        self.status = status
        self.errors = errors

    @property
    def error_code(self) -> str:
        return self.errors[0].get("errorCode", "")


def api_error(
    status: int, error_code: str, message: str, fields: list[str] | None = None
) -> ApiError:
    body = {"message": message, "errorCode": error_code}
    if fields is not None:
        body["fields"] = fields
    return ApiError(status, [body])


def not_found(message: str = "The requested resource does not exist") -> ApiError:
    return api_error(404, "NOT_FOUND", message)


def bad_request(
    error_code: str, message: str, fields: list[str] | None = None
) -> ApiError:
    return api_error(400, error_code, message, fields)
