"""The API reference at /docs, rendered on the server from the OpenAPI document (no CDN, no script).

FastAPI's own doc pages load Swagger UI from a CDN; the service is meant to run offline, so it
renders the same OpenAPI document as one plain page: every operation with its parameters, body
and responses, then every schema with its fields.
"""

from __future__ import annotations

from html import escape
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")


def _anchor(method: str, path: str) -> str:
    return f"{method}{path}".replace("/", "-").replace("{", "").replace("}", "")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(schema: dict[str, Any] | None) -> str:
    """A schema as a short readable type: `QueueItem`, `list[ReviewIn]`, `integer | null`."""
    if not schema:
        return "any"
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(_type(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list[{_type(schema.get('items'))}]"
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return f"dict[string, {_type(schema['additionalProperties'])}]"
    text = escape(str(kind))
    if "enum" in schema:
        text += " (" + ", ".join(escape(repr(v)) for v in schema["enum"]) + ")"
    if "format" in schema:
        text += f" ({escape(str(schema['format']))})"
    return text


def _fields(schema: dict[str, Any]) -> str:
    props = schema.get("properties") or {}
    if not props:
        return f"<p>{_type(schema)}</p>"
    required = set(schema.get("required") or [])
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code>{' *' if name in required else ''}</td>"
        f"<td>{_type(prop)}</td><td>{escape(prop.get('description') or prop.get('title') or '')}</td></tr>"
        for name, prop in props.items())
    return f"<table><tr><th>field</th><th>type</th><th>meaning</th></tr>{rows}</table>"


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    out = [f'<section class="op" id="{escape(_anchor(method, path))}"><h3><span class="method">{method.upper()}</span> '
           f"<code>{escape(path)}</code> {escape(op.get('summary', ''))}</h3>"]
    if op.get("description"):
        out.append(f"<p>{escape(op['description'])}</p>")
    params = op.get("parameters") or []
    if params:
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code>{' *' if p.get('required') else ''}</td>"
            f"<td>{escape(p.get('in', ''))}</td><td>{_type(p.get('schema'))}</td>"
            f"<td>{escape(p.get('description') or '')}</td></tr>" for p in params)
        out.append(f"<h4>parameters</h4><table><tr><th>name</th><th>in</th><th>type</th>"
                   f"<th>meaning</th></tr>{rows}</table>")
    body = op.get("requestBody")
    if body:
        out.append("<h4>request body</h4><ul>" + "".join(
            f"<li><code>{escape(ctype)}</code>: {_body(media.get('schema'))}</li>"
            for ctype, media in (body.get("content") or {}).items()) + "</ul>")
    responses = op.get("responses") or {}
    rows = "".join(
        f"<tr><td>{escape(code)}</td><td>{escape(r.get('description', ''))}</td>"
        f"<td>{', '.join(_type(m.get('schema')) for m in (r.get('content') or {}).values()) or '-'}</td></tr>"
        for code, r in sorted(responses.items()))
    out.append(f"<h4>responses</h4><table><tr><th>status</th><th>meaning</th><th>body</th></tr>{rows}</table>")
    out.append("</section>")
    return "".join(out)


def _body(schema: dict[str, Any] | None) -> str:
    if schema and "properties" in schema:
        return _fields(schema)
    return _type(schema)


def api_reference(doc: dict[str, Any], *, token_required: bool) -> str:
    """The whole reference page for an OpenAPI document."""
    info = doc.get("info") or {}
    title = f"{info.get('title', 'API')} {info.get('version', '')}".strip()
    auth = ("Every request needs the API token: <code>Authorization: Bearer &lt;token&gt;</code> "
            "(the token is EXTRACTOR_API_TOKEN on the server), or the session of the review pages' "
            "login." if token_required else
            "This server runs without a token (it listens on loopback only); with "
            "EXTRACTOR_API_TOKEN set, every request needs <code>Authorization: Bearer &lt;token&gt;</code>.")
    errors = ("Every error has one shape: <code>{\"error\": {\"code\", \"message\", \"details\"}}</code> "
              "with its HTTP status.")
    ops = [(path, m, op) for path, item in (doc.get("paths") or {}).items()
           for m, op in item.items() if m in _METHODS]
    index = "".join(
        f'<li><a href="#{escape(_anchor(m, p))}">'
        f"{m.upper()} {escape(p)}</a> {escape(op.get('summary', ''))}</li>" for p, m, op in ops)
    schemas = (doc.get("components") or {}).get("schemas") or {}
    schema_html = "".join(
        f'<section class="schema" id="schema-{escape(name)}"><h3>{escape(name)}</h3>'
        f"{('<p>' + escape(s['description']) + '</p>') if s.get('description') else ''}{_fields(s)}</section>"
        for name, s in schemas.items())
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><link rel=\"icon\" href=\"data:,\">"
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:.2em .5em;"
        "text-align:left;vertical-align:top}.method{font-family:monospace;background:#eef;padding:0 .3em}"
        "section.op,section.schema{border-top:1px solid #ddd;margin-top:1.2em}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(info.get('description', ''))}</p>"
        f"<p>{auth}</p><p>{errors}</p>"
        '<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a>. '
        'The review pages: <a href="/review">/review</a>. Fields marked * are required.</p>'
        f"<h2>Operations</h2><ul>{index}</ul>"
        + "".join(_operation(p, m, op) for p, m, op in ops)
        + f"<h2>Schemas</h2>{schema_html}</body></html>"
    )
