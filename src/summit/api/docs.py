"""The API documentation page (/api/docs): Ninja's Swagger UI inside a page of our own.

Ninja's own template has no ``<html lang>`` and only the API's title; ours has both, a way back to Summit, and
CSS fixing Swagger UI's colours that are too faint to read (``summit/api-docs.css``). Deep links are off:
Swagger UI puts them as links inside the buttons that open an operation, which keyboards and screen readers
cannot reach.
"""

from __future__ import annotations

from ninja.openapi.docs import Swagger


class SummitSwagger(Swagger):
    template = "api/docs.html"
    default_settings = {**Swagger.default_settings, "deepLinking": False}
