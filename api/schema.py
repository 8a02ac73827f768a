"""The OpenAPI document (drf-spectacular): every operation lists the error answers it can
give, all in the one shape of `api.errors` (component `Error`), with an example each."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse

from api.examples import ERRORS
from api.serializers import ErrorSerializer

DESCRIPTIONS = {
    400: "Invalid input: `fields` names each input at fault.",
    401: "No token, or a wrong one (`WWW-Authenticate: Token`).",
    403: "Signed in, but not a researcher.",
    404: "No such resource, or another researcher's (never 403).",
    409: "The study's state forbids this (its design is frozen, or it is not draft/open).",
    413: "The request body is too large.",
    429: "Too many requests; `Retry-After` says when to try again.",
    503: "The database (or, to start an analysis, the task queue) is away for a moment; "
    "nothing was stored; `Retry-After` says when to try again.",
    507: "The media volume cannot take the file (full or read-only); nothing was stored.",
}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self) -> list[int]:
        codes = [400, 401, 403, 404, 429, 503]
        if self.method in getattr(self.view, "conflict_methods", ()):
            codes.append(409)
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append(413)
        if self.method in getattr(self.view, "media_methods", ()):
            codes.append(507)
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if str(code) in responses:
                continue
            response = OpenApiResponse(
                response=ErrorSerializer, description=DESCRIPTIONS[code], examples=[ERRORS[code]]
            )
            responses[str(code)] = self._get_response_for_code(
                response, str(code), media_types=["application/json"], direction=direction
            )
        return responses
