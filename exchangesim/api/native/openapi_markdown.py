"""``REST_API.md``: the OpenAPI document rendered for people (``make docs``; a test keeps it current)."""

from __future__ import annotations

from typing import Any

from .openapi import openapi_document

__all__ = ["render_markdown"]


def render_markdown() -> str:
    """Every operation with its parameters, body and responses, then every schema with its fields."""
    document = openapi_document()
    lines = [
        f"# {document['info']['title']} {document['info']['version']}",
        "",
        "Generated from `GET /api/v1/openapi.json` by `make docs`; a test keeps it current.",
        "",
        document["info"]["description"],
        "",
    ]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            lines += [f"## {method.upper()} /api/v1{path}", "", operation["summary"], ""]
            for parameter in operation["parameters"]:
                required = "required" if parameter.get("required") else "optional"
                lines.append(
                    f"- `{parameter['name']}` ({parameter['in']}, {required}): {_kind(parameter['schema'])}"
                )
            if "requestBody" in operation:
                lines.append(
                    f"- body: {_kind(operation['requestBody']['content']['application/json']['schema'])}"
                )
            for status, response in operation["responses"].items():
                schema = _kind(response["content"]["application/json"]["schema"])
                lines.append(f"- {status}: {schema} ({response['description']})")
            lines.append("")
    lines += ["## Schemas", ""]
    for name, schema in document["components"]["schemas"].items():
        lines += [f"### {name}", ""]
        required = set(schema.get("required", ()))
        for field, spec in schema.get("properties", {}).items():
            need = "" if field in required else ", optional"
            lines.append(f"- `{field}`{need}: {_kind(spec)}")
        lines.append("")
    return "\n".join(lines)


def _kind(schema: dict[str, Any]) -> str:
    """A short human form of a JSON schema: a schema's name, an enum's values, a type and its limits."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    if "enum" in schema:
        return " | ".join(f"`{value}`" for value in schema["enum"])
    if "oneOf" in schema:
        return " or ".join(_kind(option) for option in schema["oneOf"])
    if schema.get("type") == "array":
        return f"list of {_kind(schema.get('items', {}))}"
    kind = schema.get("type", "any")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    limits = [f"{key} {schema[key]}" for key in ("minimum", "maximum", "default") if key in schema]
    if "pattern" in schema:
        limits.append(f"pattern `{schema['pattern']}`")
    if "description" in schema:
        limits.append(schema["description"])
    return kind + (f" ({', '.join(limits)})" if limits else "")
