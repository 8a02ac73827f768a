"""The one JSON shape of every error the platform answers under /api/ (api.errors
documents it): the API's own errors and the pages config answers itself (503, 500, 400)."""


def error_body(*, status_code: int, code: str, message: str, fields=None) -> dict:
    body = {"status": status_code, "code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return {"error": body}
