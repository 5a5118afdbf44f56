"""A plain, server-rendered API reference built from the OpenAPI schema (no CDN assets)."""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else ""


def _describe(schema: dict[str, Any] | None) -> str:
    """A short type label: a component name, `array of X`, or the JSON type."""
    if not schema:
        return ""
    if _ref_name(schema):
        return _ref_name(schema)
    if schema.get("type") == "array":
        return f"array of {_describe(schema.get('items'))}"
    return str(schema.get("format") or schema.get("type") or "object")


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = (operation.get("requestBody") or {}).get("content", {})
            responses = []
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                kinds = ", ".join(
                    f"{media}: {_describe(entry.get('schema'))}" for media, entry in content.items()
                )
                responses.append({"code": code, "content": kinds or "no body"})
            operations.append(
                {
                    "anchor": f"{method}-{path}".replace("/", "-")
                    .replace("{", "")
                    .replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": operation.get("parameters", []),
                    "body": [
                        {"media": media, "type": _describe(entry.get("schema"))}
                        for media, entry in body.items()
                    ],
                    "responses": responses,
                    "auth": bool(operation.get("security")),
                }
            )
    return operations


def _components(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for name, component in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(component.get("required", []))
        fields = [
            {
                "name": field,
                "type": _describe(spec),
                "required": field in required,
                "help": spec.get("description", ""),
            }
            for field, spec in component.get("properties", {}).items()
        ]
        found.append(
            {"name": name, "fields": fields, "raw": json.dumps(component, indent=1)[:4000]}
        )
    return found


def api_docs(request: HttpRequest) -> HttpResponse:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return render(
        request,
        "api/docs.html",
        {
            "info": schema.get("info", {}),
            "operations": _operations(schema),
            "components": _components(schema),
        },
    )
