"""The REST API: Django Ninja, OpenAPI at /api/docs. Each app keeps its own routes in ``<app>/api.py``."""

from ninja import NinjaAPI

api = NinjaAPI(title="Summit API", version="1", urls_namespace="api")
