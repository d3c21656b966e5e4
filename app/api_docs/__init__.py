"""The OpenAPI document of the JSON API, served at `/api/openapi.json`."""
