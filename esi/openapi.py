"""Convert ESI's OpenAPI 3.1 spec (one per compatibility date) into Swagger 2.0.

bravado drives Swagger 2.0 only, so the OpenAPI spec of a compatibility date is
converted once (and cached like any built spec) into a Swagger 2.0 document
that the same client drives:

* ``components/schemas`` become ``definitions`` (``$ref`` rewritten),
  ``components/parameters`` are inlined into each operation;
* JSON Schema 2020-12 forms become their Swagger 2.0 equivalents:
  ``type: [T, "null"]`` becomes ``type: T`` with ``x-nullable: true``,
  ``examples`` becomes ``example``, ``const`` an ``enum`` of one, a numeric
  ``exclusiveMinimum``/``exclusiveMaximum`` the draft-4 boolean form;
* ``oneOf`` is kept for validation. ESI's unions are objects that each carry
  exactly one property (``{"damage_ship": {...}}``) and declare none required,
  so every object would match every branch; the converter marks that single
  property required in each branch, which is what ESI means and lets
  ``oneOf`` tell the branches apart;
* ``requestBody`` becomes a ``body`` parameter, named as the Swagger spec named
  it (``ids`` for ``post_universe_names``) so 2.x calls keep working;
* ``X-Compatibility-Date``, ``X-Tenant``, ``If-None-Match`` and
  ``If-Modified-Since`` are left out of the operations: the HTTP layer sends
  them. ``Accept-Language`` stays, as in the Swagger specs;
* security ``OAuth2`` becomes ``evesso``, as in the Swagger specs;
* every ``x-`` extension of an operation is kept (``x-rate-limit``,
  ``x-pagination``, ``x-cache-age``, ...), ``x-cache-age`` is also given as
  ``x-cached-seconds``.

Operation names: each operation keeps the spec's own ``operationId``
(``GetUniverseTypesTypeId``) and records its Swagger-era name, built by ESI's
own rule from method and path (``get_universe_types_type_id``), in
``x-esi-alias``. :func:`operation_aliases` lists them per resource, so the
client can answer to both names.

Public API::

    from esi.openapi import convert, operation_aliases, swagger_name
    swagger = convert(openapi_spec)              # a new dict; the input is untouched
    operation_aliases(swagger)["Universe"]["get_universe_types_type_id"]
    # -> "GetUniverseTypesTypeId"
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "HTTP_LAYER_HEADERS",
    "OpenAPIConversionError",
    "collection_format",
    "convert",
    "operation_aliases",
    "snake_case",
    "swagger_name",
]

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

#: Header parameters the HTTP layer sends itself; left out of converted operations.
HTTP_LAYER_HEADERS = frozenset({"x-compatibility-date", "x-tenant", "if-none-match", "if-modified-since"})

_SCHEMA_REF = "#/components/schemas/"
_PARAM_REF = "#/components/parameters/"
_HEADER_REF = "#/components/headers/"
_RESPONSE_REF = "#/components/responses/"
_REQUEST_BODY_REF = "#/components/requestBodies/"

# Keywords whose value is a schema, or a list or map of schemas.
_SCHEMA_VALUED = ("items", "additionalProperties", "not")
_SCHEMA_LISTS = ("oneOf", "anyOf", "allOf")
_SCHEMA_MAPS = ("properties", "patternProperties")
# Parameter fields that Swagger 2.0 takes from the schema onto the parameter itself.
_PARAM_SCHEMA_FIELDS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
    "x-nullable",
)


class OpenAPIConversionError(ValueError):
    """The document is not an OpenAPI 3 ESI spec that can be converted; names why."""


def swagger_name(method: str, path: str) -> str:
    """Return the Swagger-era operation id ESI gives ``method path``.

    ESI names operations ``<method>_<path segments>`` with braces dropped and
    dashes as underscores: ``get /universe/types/{type_id}/`` is
    ``get_universe_types_type_id``.
    """
    segments = [seg.strip("{}").replace("-", "_") for seg in path.strip("/").split("/") if seg]
    return "_".join([method.lower(), *segments])


def snake_case(name: str) -> str:
    """Return ``GetUniverseTypesTypeId`` as ``get_universe_types_type_id``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def collection_format(param: Mapping[str, Any]) -> str:
    """Return the Swagger ``collectionFormat`` of an OpenAPI array parameter, from ``style`` and ``explode``.

    The client sends and the fake ESI reads an array as this says: ``form``
    (the default in a query) explodes into repeated keys (``multi``) unless
    ``explode: false`` (``csv``); ``pipeDelimited`` is ``pipes`` and
    ``spaceDelimited`` is ``ssv`` unless exploded; path and header arrays are ``csv``.
    """
    location = param.get("in", "query")
    style = param.get("style", "form" if location in ("query", "cookie") else "simple")
    explode = bool(param.get("explode", style == "form"))
    if location != "query":
        return "csv"
    if explode:
        return "multi"
    return {"pipeDelimited": "pipes", "spaceDelimited": "ssv"}.get(style, "csv")


def _normalised_path(path: str) -> str:
    return "/" + path.strip("/") + "/"


def convert_schema(schema: Any) -> Any:
    """Return a JSON Schema 2020-12 schema in the Swagger 2.0 (draft 4) dialect."""
    if isinstance(schema, list):
        return [convert_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = value.replace(_SCHEMA_REF, "#/definitions/")
        elif key == "type" and isinstance(value, list):
            kinds = [t for t in value if t != "null"]
            if len(kinds) == 1:
                out["type"] = kinds[0]
            elif kinds:  # several real types: no Swagger 2.0 form; leave it untyped
                pass
            if "null" in value:
                out["x-nullable"] = True
        elif key == "examples" and isinstance(value, list):
            if value:
                out["example"] = copy.deepcopy(value[0])
        elif key == "const":
            out["enum"] = [copy.deepcopy(value)]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            out[bound] = value
            out[key] = True
        elif key in _SCHEMA_VALUED:
            out[key] = convert_schema(value)
        elif key in _SCHEMA_LISTS:
            out[key] = [convert_schema(s) for s in value]
            if key == "oneOf":
                _require_single_property_branches(out[key])
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: convert_schema(s) for name, s in value.items()}
        else:
            out[key] = copy.deepcopy(value)
    return out


def _require_single_property_branches(branches: list[Any]) -> None:
    # See the module docstring: ESI's unions are told apart by their one key.
    for branch in branches:
        if (
            isinstance(branch, dict)
            and branch.get("type", "object") == "object"
            and isinstance(branch.get("properties"), dict)
            and len(branch["properties"]) == 1
            and not branch.get("required")
        ):
            branch["required"] = list(branch["properties"])


class _Converter:
    def __init__(self, spec: Mapping[str, Any], reference: Mapping[str, Any] | None) -> None:
        self.spec = spec
        self.components = spec.get("components") or {}
        self.body_names: dict[tuple[str, str], str] = {}
        if reference:
            for path, item in (reference.get("paths") or {}).items():
                for method, op in item.items():
                    if method not in HTTP_METHODS:
                        continue
                    for param in op.get("parameters", []):
                        param = self._swagger_param(reference, param)
                        if param.get("in") == "body":
                            self.body_names[(method, _normalised_path(path))] = param["name"]

    @staticmethod
    def _swagger_param(reference: Mapping[str, Any], param: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = param.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/parameters/"):
            return (reference.get("parameters") or {}).get(ref.rsplit("/", 1)[1], {})
        return param

    def _resolve(self, obj: Mapping[str, Any], prefix: str, section: str, where: str) -> Mapping[str, Any]:
        ref = obj.get("$ref")
        if not isinstance(ref, str):
            return obj
        if not ref.startswith(prefix):
            raise OpenAPIConversionError(f"{where}: unsupported $ref {ref!r}")
        name = ref[len(prefix) :]
        try:
            return self.components[section][name]
        except KeyError:
            raise OpenAPIConversionError(f"{where}: $ref {ref!r} points at nothing") from None

    def parameter(self, raw: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        param = self._resolve(raw, _PARAM_REF, "parameters", where)
        name, location = param.get("name"), param.get("in")
        if not name or location not in ("query", "path", "header", "cookie"):
            raise OpenAPIConversionError(f"{where}: parameter {raw!r} has no name or location")
        if location == "cookie" or (location == "header" and name.lower() in HTTP_LAYER_HEADERS):
            return None
        out: dict[str, Any] = {"name": name, "in": location}
        if "description" in param:
            out["description"] = param["description"]
        if param.get("required") or location == "path":
            out["required"] = True
        schema = convert_schema(param.get("schema") or {"type": "string"})
        if "$ref" in schema:
            schema = {**convert_schema(self._resolve(schema, "#/definitions/", "schemas", where)), **schema}
            schema.pop("$ref")
        for field in _PARAM_SCHEMA_FIELDS:
            if field in schema:
                out[field] = schema[field]
        out.setdefault("type", "string")
        if out["type"] == "array":
            out["collectionFormat"] = collection_format(param)
            out.setdefault("items", {"type": "string"})
        return out

    def headers(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        out = {}
        for name, header in raw.items():
            header = self._resolve(header, _HEADER_REF, "headers", where)
            schema = convert_schema(header.get("schema") or {"type": "string"})
            item = {k: schema[k] for k in ("type", "format", "items") if k in schema}
            item.setdefault("type", "string")
            if "description" in header:
                item["description"] = header["description"]
            out[name] = item
        return out

    def responses(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        out = {}
        for code, response in raw.items():
            response = self._resolve(response, _RESPONSE_REF, "responses", where)
            item: dict[str, Any] = {"description": response.get("description") or str(code)}
            content = response.get("content") or {}
            media = content.get("application/json") or next(iter(content.values()), None)
            if media and "schema" in media:
                item["schema"] = convert_schema(media["schema"])
            if "headers" in response:
                item["headers"] = self.headers(response["headers"], f"{where} response {code}")
            out[str(code)] = item
        return out

    def operation(self, method: str, path: str, op: Mapping[str, Any], shared: list[Any]) -> dict[str, Any]:
        where = f"{method.upper()} {path}"
        op_id = op.get("operationId") or swagger_name(method, path)
        out: dict[str, Any] = {"operationId": op_id, "x-esi-alias": swagger_name(method, path)}
        for key in ("summary", "description", "tags", "deprecated"):
            if key in op:
                out[key] = copy.deepcopy(op[key])
        params = []
        seen = set()
        for raw in [*op.get("parameters", []), *shared]:
            param = self.parameter(raw, where)
            if param is not None and (param["name"], param["in"]) not in seen:
                seen.add((param["name"], param["in"]))
                params.append(param)
        if "requestBody" in op:
            body = self._resolve(op["requestBody"], _REQUEST_BODY_REF, "requestBodies", where)
            content = body.get("content") or {}
            media = content.get("application/json") or next(iter(content.values()), None)
            if media is None or "schema" not in media:
                raise OpenAPIConversionError(f"{where}: requestBody has no schema")
            params.append(
                {
                    "name": self.body_names.get((method, _normalised_path(path)), "body"),
                    "in": "body",
                    "required": bool(body.get("required")),
                    "schema": convert_schema(media["schema"]),
                    **({"description": body["description"]} if "description" in body else {}),
                }
            )
        out["parameters"] = params
        out["responses"] = self.responses(op.get("responses") or {}, where)
        if not out["responses"]:
            raise OpenAPIConversionError(f"{where}: no responses")
        security = op.get("security", self.spec.get("security"))
        if security:
            out["security"] = [
                {("evesso" if name == "OAuth2" else name): scopes for name, scopes in req.items()}
                for req in security
            ]
        for key, value in op.items():
            if key.startswith("x-"):
                out[key] = copy.deepcopy(value)
        if "x-cache-age" in op:
            out["x-cached-seconds"] = op["x-cache-age"]
        return out

    def security_definitions(self) -> dict[str, Any]:
        out = {}
        for name, scheme in (self.components.get("securitySchemes") or {}).items():
            flows = scheme.get("flows") or {}
            flow = flows.get("authorizationCode")
            if scheme.get("type") == "oauth2" and flow:
                out["evesso" if name == "OAuth2" else name] = {
                    "type": "oauth2",
                    "flow": "accessCode",
                    "authorizationUrl": flow.get("authorizationUrl", ""),
                    "tokenUrl": flow.get("tokenUrl", "https://login.eveonline.com/v2/oauth/token"),
                    "scopes": dict(flow.get("scopes") or {}),
                }
        return out

    def run(self) -> dict[str, Any]:
        servers = self.spec.get("servers") or [{"url": "https://esi.evetech.net"}]
        server = str(servers[0].get("url", "https://esi.evetech.net"))
        match = re.match(r"^(?:(https?)://)?([^/]+)(/.*)?$", server)
        scheme, host, base = (match.groups() if match else ("https", "esi.evetech.net", "/")) or ()
        info = copy.deepcopy(self.spec["info"])
        paths: dict[str, Any] = {}
        for path, item in self.spec["paths"].items():
            shared = item.get("parameters", [])
            converted = {
                method: self.operation(method, path, op, shared)
                for method, op in item.items()
                if method in HTTP_METHODS
            }
            if converted:
                paths[path] = converted
        return {
            "swagger": "2.0",
            "info": info,
            "host": host,
            "basePath": base or "/",
            "schemes": [scheme or "https"],
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "securityDefinitions": self.security_definitions(),
            "definitions": {
                name: convert_schema(schema)
                for name, schema in (self.components.get("schemas") or {}).items()
            },
            "paths": paths,
            "tags": copy.deepcopy(self.spec.get("tags", [])),
            "x-esi-openapi": str(self.spec.get("openapi")),
            "x-esi-compatibility-date": str(info.get("version")),
        }


def convert(spec: Mapping[str, Any], reference: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the Swagger 2.0 form of the OpenAPI 3 ESI spec ``spec``.

    ``reference`` is a Swagger 2.0 ESI spec whose body parameter names are kept
    (the default, ``None``, uses the bundled ``latest`` snapshot). Raise
    :class:`OpenAPIConversionError` naming the operation and what is wrong.
    """
    if not isinstance(spec, Mapping) or not str(spec.get("openapi", "")).startswith("3."):
        raise OpenAPIConversionError("not an OpenAPI 3 spec: no 'openapi: 3.x' field")
    if not isinstance(spec.get("paths"), Mapping) or not isinstance(spec.get("info"), Mapping):
        raise OpenAPIConversionError("not an OpenAPI 3 spec: it needs 'info' and 'paths'")
    if reference is None:
        reference = _bundled_reference()
    return _Converter(spec, reference).run()


def _bundled_reference() -> Mapping[str, Any] | None:
    import spec_snapshots

    try:
        return spec_snapshots.get(route="latest", dirs=[]).load()
    except spec_snapshots.SnapshotNotFound:  # pragma: no cover - the package ships one
        return None


def operation_aliases(swagger: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Return ``{resource: {swagger_era_name: operation_id}}`` of a converted spec.

    Resource names are the tags as bravado exposes them (spaces as underscores).
    Aliases equal to the operation id are left out.
    """
    out: dict[str, dict[str, str]] = {}
    for item in swagger.get("paths", {}).values():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            alias = op.get("x-esi-alias")
            if not alias or alias == op["operationId"]:
                continue
            for tag in op.get("tags") or ["default"]:
                out.setdefault(tag.replace(" ", "_"), {})[alias] = op["operationId"]
    return out
