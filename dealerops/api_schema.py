"""The OpenAPI schema lists the refusals every endpoint can answer besides its success, so a
client knows to expect them: 400 (a body or a query parameter refused, by field), 401 (no or
an expired token), 403 (the role may not), 404 (a record outside the caller's scope) and 429
(too many failed sign-ins). Set as DEFAULT_SCHEMA_CLASS."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

_FIELD_ERRORS = {
    "type": "object",
    "description": "The refused fields or query parameters, each with its messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
_DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}


class DocumentedErrorsSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        refusals = {
            "400": ("Refused: the messages name each field or query parameter.", _FIELD_ERRORS),
            "401": ("Not signed in, or the token expired (see WWW-Authenticate).", _DETAIL),
            "403": ("The caller's role may not do this.", _DETAIL),
        }
        if "{" in self.path:
            refusals["404"] = ("No such record among those the caller may see.", _DETAIL)
        for code, (description, schema) in refusals.items():
            responses.setdefault(code, self._get_response_for_code(OpenApiResponse(schema, description), code))
        return responses
