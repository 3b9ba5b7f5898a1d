"""Render API Gateway REST mapping templates (Velocity Template Language) as API Gateway does.

airspeed is the Velocity engine; this module supplies the $input, $util, $context and $stageVariables
objects API Gateway supplies, and the replacements that align airspeed where it differs from the Velocity 1.7
behind API Gateway (at the bottom; emulator/patches.py installs them when the emulator starts).
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, SupportsIndex

import airspeed  # type: ignore[import-untyped, unused-ignore]


class TemplateError(Exception):
    """A mapping template could not be rendered (API Gateway answers such a request with a 5XX)."""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: str
    request_id: str
    resource_path: str
    stage: str = "local"
    extended_request_id: str = ""
    """$context.extendedRequestId: API Gateway's own id of the request, which a client cannot set (request_id
    can be the client's); the request id when not given."""


@dataclass(frozen=True)
class GatewayError:
    """What one of API Gateway's own responses is about: $context.error.responseType and $context.error.message."""

    response_type: str
    message: str


@dataclass(frozen=True)
class Rendered:
    text: str
    status_override: int | None
    header_overrides: dict[str, str]


def render_request_template(template: str, request: HttpRequest) -> Rendered:
    """Render an integration request template; $input is the client request's body."""
    return _render(template, request, request.body)


def render_response_template(template: str, request: HttpRequest, integration_body: str) -> Rendered:
    """Render an integration response template; $input is the integration's body."""
    return _render(template, request, integration_body)


_SUBSTITUTED = re.compile(r"\$(?:\{(?P<braced>[A-Za-z][\w.]*)\}|(?P<bare>[A-Za-z](?:[\w.]*\w)?))")
_DIRECTIVE = re.compile(r"#(?:set|if|elseif|else|end|foreach|macro|parse|include|define|evaluate|stop|break)\b|##|#\*")


def render_gateway_response_template(template: str, request: HttpRequest, error: GatewayError) -> Rendered:
    """Render a gateway response's body template, which sees $context.error.

    "A GatewayResponse mapping template isn't processed by the Velocity Template Language (VTL) engine": it
    supports "only simple variable substitution" (API Gateway developer guide, x-amazon-apigateway-gateway-
    responses.responseTemplates). So only $context variables are put in here; a directive, a method call or any
    other reference ($util, $input) is refused, as it would reach the client as written on AWS.
    """
    if _DIRECTIVE.search(template):
        raise TemplateError("a gateway response template is not VTL: it may not hold directives")
    context = context_variables(request, error)

    def value(match: re.Match[str]) -> str:
        path = (match.group("braced") or match.group("bare")).split(".")
        node: Any = context
        if path[0] != "context":
            raise TemplateError(f"a gateway response template substitutes $context variables only, not ${path[0]}")
        for part in path[1:]:
            if not isinstance(node, dict) or part not in node:
                raise TemplateError(f"no $context variable {'.'.join(path)} here")
            node = node[part]
        return str(node)

    return Rendered(_SUBSTITUTED.sub(value, template), None, {})


_JAVA_TRIM = "".join(chr(c) for c in range(0x21))  # String.trim() strips every char <= U+0020


class JavaString(str):
    """A str that also answers the java.lang.String methods templates call on Velocity's strings."""

    def length(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self

    def contains(self, s: str) -> bool:
        return s in self

    def startsWith(self, prefix: str) -> bool:
        return self.startswith(prefix)

    def endsWith(self, suffix: str) -> bool:
        return self.endswith(suffix)

    def equals(self, other: object) -> bool:
        return isinstance(other, str) and str(self) == str(other)

    def toLowerCase(self) -> JavaString:
        return JavaString(self.lower())

    def toUpperCase(self) -> JavaString:
        return JavaString(self.upper())

    def trim(self) -> JavaString:
        return JavaString(self.strip(_JAVA_TRIM))

    def toString(self) -> JavaString:
        return self

    def indexOf(self, s: str, start: int = 0) -> int:
        return self.find(s, start)

    def substring(self, begin: int, end: int | None = None) -> JavaString:
        stop = len(self) if end is None else end
        if not 0 <= begin <= stop <= len(self):  # Java throws where Python slicing would clamp
            raise IndexError(f"substring({begin}, {stop}) is out of range for length {len(self)}")
        return JavaString(self[begin:stop])

    def replace(self, old: str, new: str, count: SupportsIndex = -1) -> JavaString:
        return JavaString(str.replace(self, old, new, count))

    def replaceAll(self, regex: str, replacement: str) -> JavaString:
        pattern = _java_regex(regex)
        return JavaString(pattern.sub(_java_replacement(replacement, pattern.groups), self))

    def matches(self, regex: str) -> bool:
        return _java_regex(regex).fullmatch(self) is not None


@lru_cache(maxsize=256)
def _java_regex(regex: str) -> re.Pattern[str]:
    # Java spells named groups (?<name>...), Python (?P<name>...); the rest is close enough.
    return re.compile(re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", regex))


def _java_replacement(replacement: str, groups: int) -> str:
    """Java's replacement syntax ($n, ${name}, backslash quotes a char) as a Python re.sub template."""

    def translate(m: re.Match[str]) -> str:
        quoted, name, digits, bad = m.groups()
        if bad is not None:
            raise ValueError(f"illegal group reference or escape in replacement {replacement!r}")
        if quoted is not None:
            return "\\\\" if quoted == "\\" else quoted
        if name is not None:
            return f"\\g<{name}>"
        used = 1  # like Java, read further digits only while they still name an existing group
        while used < len(digits) and int(digits[: used + 1]) <= groups:
            used += 1
        return f"\\g<{digits[:used]}>{digits[used:]}"

    return re.sub(r"\\(.)|\$\{([A-Za-z]\w*)\}|\$(\d+)|(\\$|\$)", translate, replacement, flags=re.DOTALL)


class JsonArray(list[Any]):
    """A JSON array as API Gateway reads one (Jayway JsonPath's json-smart JSONArray): Velocity prints it as JSON.

    API Gateway was seen printing $input.path('$') of {"foo": [{"nested": "bar"}]} as {foo=[{"nested":"bar"}]}: the
    object as a Java Map, the array inside it as JSON (LocalStack's AWS-validated snapshot
    test_input_path_template_formatting, github.com/localstack/localstack/pull/12379).
    """

    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self

    def get(self, index: int) -> Any:
        return self[index]

    def contains(self, value: object) -> bool:
        return value in self

    def toString(self) -> JavaString:
        return JavaString(_java_str(self))


_JSON_SMART_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _json_smart(value: object, escape_slash: bool) -> str:
    """JSON as json-smart writes it: compact; U+0000-U+001F, U+007F-U+009F and U+2000-U+20FF as \\uXXXX; and
    with escape_slash (its default style, the one JSONArray.toString uses) / as \\/."""
    if value is None or isinstance(value, (bool, int, float)):
        return _java_str(value)
    if isinstance(value, dict):
        members = (f"{_json_smart(str(k), escape_slash)}:{_json_smart(v, escape_slash)}" for k, v in value.items())
        return "{" + ",".join(members) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json_smart(item, escape_slash) for item in value) + "]"
    out = ['"']
    for char in str(value):
        if char in _JSON_SMART_ESCAPES:
            out.append(_JSON_SMART_ESCAPES[char])
        elif char == "/" and escape_slash:
            out.append("\\/")
        elif char < " " or "\x7f" <= char <= "\x9f" or "\u2000" <= char <= "\u20ff":
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out) + '"'


def _java_str(value: object) -> str:
    """What Java's toString() gives, which is what Velocity renders."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, JsonArray):
        return _json_smart(value, escape_slash=True)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_java_str(k)}={_java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_java_str(v) for v in value) + "]"
    return str(value)


def _javaify(value: Any) -> Any:
    """Parsed JSON with every string a JavaString, so templates can call String methods on it."""
    if isinstance(value, str):
        return JavaString(value)
    if isinstance(value, dict):
        return {JavaString(k): _javaify(v) for k, v in value.items()}
    if isinstance(value, list):
        return JsonArray(_javaify(v) for v in value)
    return value


def _parse_json(text: str, what: str) -> Any:
    """JSON as json-smart's permissive parser reads it, the one behind API Gateway's $input.path and $util.parseJson.

    Beyond JSON, it reads a text that starts with no bracket or quote as one string, trimmed: API Gateway mapped the
    payloads a=b, a{b, null{ and true{ as those strings, and refused {a and [a with json-smart's own words ("Could not
    process payloadnet.minidev.json.parser.ParseException: Unexpected End Of File position 1: null"; the cases of
    tests/recorded/apigateway from github.com/ToQoz/api-gateway-mapping-template). What else json-smart accepts (an
    object with unquoted names, a trailing comma, single quotes) is refused here.
    """
    try:
        return _javaify(json.loads(text))
    except ValueError as exc:
        trimmed = text.strip(_JAVA_TRIM)
        if trimmed[:1] in ("{", "[", '"', "'"):
            raise TemplateError(f"{what} is not valid JSON: {exc}") from exc
        return JavaString(trimmed)


_MISSING = object()
_JSONPATH_STEP = re.compile(r"\.([^.\[\]]+)|\[\s*(-?\d+)\s*\]|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]")


def _json_path(document: Any, path: str) -> Any:
    """The part of Jayway JsonPath that templates use: $, .name, ['name'], [index]."""
    path = path.strip()
    if not path.startswith("$"):  # Jayway reads 'a.b' as '$.a.b'
        path = "$." + path
    value, pos = document, 1
    while pos < len(path):
        step = _JSONPATH_STEP.match(path, pos)
        if step is None:
            raise TemplateError(f"unsupported JSONPath expression {path!r}")
        pos = step.end()
        name, index, quoted, double_quoted = step.groups()
        key = next((k for k in (name, quoted, double_quoted) if k is not None), None)
        if key is not None and isinstance(value, dict):
            value = value.get(key, _MISSING)
        elif index is not None and isinstance(value, list) and -len(value) <= int(index) < len(value):
            value = value[int(index)]
        else:
            return _MISSING
    return value


class _Input:
    """$input: the body being mapped, plus the client request's parameters."""

    def __init__(self, body: str, request: HttpRequest) -> None:
        # API Gateway hands a template an empty payload as {}, $input.body included, whatever the content type (seen
        # on AWS by LocalStack's AWS-validated test_input_body_formatting: github.com/localstack/localstack/pull/12413).
        self.body = JavaString(body or "{}")
        self._document: Any = _MISSING
        sources = {"path": request.path_params, "querystring": request.query, "header": request.headers}
        self._params: dict[str, dict[str, JavaString]] = {
            JavaString(kind): {JavaString(k): JavaString(v) for k, v in source.items()}
            for kind, source in sources.items()
        }
        # Header names are case-insensitive, whatever casing the HTTP server handed over.
        self._headers = {k.lower(): v for k, v in request.headers.items()}

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._params
        for kind in ("path", "querystring"):
            if name in self._params[kind]:
                return self._params[kind][name]
        return JavaString(self._headers.get(str(name).lower(), ""))

    def _parsed(self) -> Any:
        if self._document is _MISSING:
            self._document = _parse_json(self.body, "the payload")
        return self._document

    def path(self, path: str) -> Any:
        value = _json_path(self._parsed(), path)
        return None if value is _MISSING else value

    def json(self, path: str) -> JavaString:
        # As json-smart writes it for Jayway (JSONStyle.LT_COMPRESS). A path that selects nothing gives "", the JSON
        # of an empty string, as LocalStack found on AWS (github.com/localstack/localstack/pull/12774).
        value = _json_path(self._parsed(), path)
        return JavaString(_json_smart("" if value is _MISSING else value, escape_slash=False))


_JS_ESCAPES = {char: "\\" + letter for char, letter in zip("'\"\\/\b\f\n\r\t", "'\"\\/bfnrt", strict=True)}


def _text(value: object) -> str:
    """A $util function's argument as text: a null reads as an empty string, as everywhere in API Gateway's templates
    (it mapped $util.urlEncode($input.body.testAccess) as nothing: LocalStack's AWS-validated
    test_input_body_formatting, tests/recorded/apigateway)."""
    return "" if value is None else _java_str(value)


class _Util:
    """$util, as in the API Gateway mapping template reference."""

    def escapeJavaScript(self, value: object) -> JavaString:
        # Commons Lang 2 StringEscapeUtils.escapeJavaScript: note ' becomes \' which JSON rejects.
        out = []
        for char in _text(value):
            if char in _JS_ESCAPES:
                out.append(_JS_ESCAPES[char])
            elif " " <= char <= "\x7f":
                out.append(char)
            else:  # \uXXXX per UTF-16 code unit, as Java strings are UTF-16
                units = char.encode("utf-16-be", "surrogatepass")
                out.extend(f"\\u{units[i]:02X}{units[i + 1]:02X}" for i in range(0, len(units), 2))
        return JavaString("".join(out))

    def parseJson(self, text: object) -> Any:
        return _parse_json(_java_str(text), "the argument of $util.parseJson")

    def base64Encode(self, value: object) -> JavaString:
        return JavaString(base64.b64encode(_text(value).encode()).decode("ascii"))

    def base64Decode(self, value: object) -> JavaString:
        return JavaString(base64.b64decode(_text(value), validate=True).decode(errors="replace"))

    def urlEncode(self, value: object) -> JavaString:
        # java.net.URLEncoder leaves '*' alone and encodes '~', unlike quote_plus.
        return JavaString(urllib.parse.quote_plus(_text(value), safe="*").replace("~", "%7E"))

    def urlDecode(self, value: object) -> JavaString:
        return JavaString(urllib.parse.unquote_plus(_text(value)))


def context_variables(request: HttpRequest, error: GatewayError | None = None) -> dict[str, Any]:
    """$context for the request (a fresh one per rendering: templates write their overrides into it)."""
    now = time.time()
    identity = {"sourceIp": JavaString("127.0.0.1")}
    for name, value in request.headers.items():
        if name.lower() == "user-agent":
            identity["userAgent"] = JavaString(value)
    context: dict[str, Any] = {
        "requestId": JavaString(request.request_id),
        "extendedRequestId": JavaString(request.extended_request_id or request.request_id),
        "httpMethod": JavaString(request.method.upper()),
        "resourcePath": JavaString(request.resource_path),
        "path": JavaString(f"/{request.stage}{request.path}"),  # as on execute-api: stage included
        "stage": JavaString(request.stage),
        "requestTimeEpoch": int(now * 1000),
        "requestTime": JavaString(time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))),
        "identity": identity,
        # A nested #set needs these maps to exist. requestOverride is accepted but not applied.
        "requestOverride": {"header": {}, "path": {}, "querystring": {}},
        "responseOverride": {"header": {}},
    }
    if error is not None:
        # "$context.error.messageString: The quoted value of $context.error.message, namely
        # "$context.error.message"" (API Gateway developer guide, api-gateway-mapping-template-reference).
        context["error"] = {
            "message": JavaString(error.message),
            "messageString": JavaString(f'"{error.message}"'),
            "responseType": JavaString(error.response_type),
        }
    return context


def _status_override(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _java_str(value).strip()
    if not re.fullmatch(r"[1-5][0-9][0-9]", text):
        raise TemplateError(f"$context.responseOverride.status is not an HTTP status: {text!r}")
    return int(text)


@lru_cache(maxsize=128)
def _compile(template: str) -> Any:
    if airspeed.InterpolatedStringLiteral.calculate is not interpolate:
        raise TemplateError("airspeed is not aligned with Velocity 1.7: call emulator.patches.apply() first")
    compiled = airspeed.Template(template)
    compiled.ensure_compiled()  # parse now, so the cache holds the parse and syntax errors surface here
    return compiled


def _render(template: str, request: HttpRequest, body: str, error: GatewayError | None = None) -> Rendered:
    context = context_variables(request, error)
    namespace = {"input": _Input(body, request), "util": _Util(), "context": context, "stageVariables": {}}
    try:
        text = _compile(template).merge(namespace)
    except airspeed.TemplateError as exc:
        raise TemplateError(str(exc)) from exc
    override = context["responseOverride"]
    if not isinstance(override, dict) or not isinstance(override.get("header"), dict):
        raise TemplateError("$context.responseOverride was replaced instead of set field by field")
    headers = {str(k): _java_str(v) for k, v in override["header"].items() if v is not None}
    return Rendered(text, _status_override(override.get("status")), headers)


# ---- Aligning airspeed with the Velocity 1.7 engine behind API Gateway ----------------------------


def _truth(value: object) -> bool:
    return value is not None and value is not False  # Velocity: "", 0 and [] are true


def _equals(left: object, right: object) -> bool:
    # A null compares as an empty string: API Gateway found $input.path("$.nonExisting") equal both to $null and to ""
    # (LocalStack's AWS-validated test_input_path_template_formatting, tests/recorded/apigateway).
    left = JavaString("") if left is None else left
    right = JavaString("") if right is None else right
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
    if numbers or type(left) is type(right) or (isinstance(left, str) and isinstance(right, str)):
        return left == right
    return _java_str(left) == _java_str(right)  # Velocity compares unrelated types by toString()


def _add(left: Any, right: Any) -> Any:
    if isinstance(left, str) or isinstance(right, str):
        return JavaString(_java_str(left) + _java_str(right))
    return left + right


def parse_string_literal(self: Any) -> None:
    # Velocity keeps backslashes in string literals ("\\'" is the 3-char regex \\'), only turning
    # \uXXXX into a char in double quotes, and reads a doubled quote as one. airspeed unescapes \\ etc.
    (value,) = self.identity_match(self.STRING)
    if isinstance(self, airspeed.InterpolatedStringLiteral):
        value = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), value.replace('""', '"'))
        self.block = airspeed.Block(self.filename, value, 0)
    else:
        value = value.replace("''", "'")
    self.value = JavaString(value)


def _to_string(value: object) -> JavaString:
    return JavaString(_java_str(value))


def interpolate(self: Any, namespace: Any, loader: Any) -> JavaString:
    output = airspeed.StoppableStream()
    self.block.evaluate(output, namespace, loader)
    return JavaString(output.getvalue())


def render_reference(self: Any, stream: Any, namespace: Any, loader: Any) -> None:
    # airspeed's own, except that values render as Java's toString() would (true, {a=1}, [1, 2]), and that a null or
    # undefined reference renders as nothing, quiet ($!) or not. Velocity 1.7 would print its source text, but API
    # Gateway printed nothing for $result set from a JSONPath that selects nothing, for $result.nested and for
    # $input.params without parentheses (the recordings of tests/recorded/apigateway: LocalStack's
    # test_input_path_template_formatting, ToQoz/api-gateway-mapping-template).
    if self.expression is None:  # a lone $ is text
        stream.write(self.my_text())
        return
    value = self.expression.calculate(namespace, loader)
    if value is None and self.alternate is not None:
        value = self.alternate.calculate(namespace, loader)
    stream.write("" if value is None else _java_str(value))


def no_method_as_property(calculate: Callable[..., Any]) -> Callable[..., Any]:
    """$a.name without parentheses reads a property (getName(), or get("name") of a Map), never the method itself:
    airspeed would hand over the bound method. API Gateway rendered $input.params, $input.json and $util.urlEncode
    as nothing (ToQoz/api-gateway-mapping-template's recordings, tests/recorded/apigateway)."""

    def calculate_property(self: Any, current_object: Any, loader: Any, top_namespace: Any) -> Any:
        result = calculate(self, current_object, loader, top_namespace)
        if self.parameters is None and self.index is None and callable(result):
            return None
        return result

    return calculate_property


def parse_else_block(self: Any) -> None:
    # Velocity's #else (and #{else}) takes the rest of its line, as #end does; airspeed's keeps the newline.
    self.identity_match(self.START)
    self.optional_match(airspeed.WHITESPACE_TO_END_OF_LINE)
    self.block = self.require_next_element(airspeed.Block, "block")
    self.evaluate = self.block.evaluate


def drop_space_before_set(block: Any) -> None:
    # Velocity 1.7 reads spaces and tabs before #set as part of the directive, unless they follow plain text on
    # their line: "#if(true)\n  #set(...)" and "$a  #set(...)" lose them, "x  #set(...)" keeps them.
    children = block.children
    block.children = [
        child
        for index, child in enumerate(children)
        if not (
            isinstance(child, airspeed.Text)
            and not child.text.strip(" \t")
            and (index == 0 or not isinstance(children[index - 1], airspeed.Text))
            and index + 1 < len(children)
            and isinstance(children[index + 1], airspeed.SetDirective)
        )
    ]


def parse_set(self: Any) -> None:
    """airspeed's #set, but its place may also index a map or a list, as in Velocity 1.7:
    #set($context.requestOverride.querystring[$name] = "bar"), #set($context["requestOverride"].path.x = 1). API
    Gateway rendered both (LocalStack's AWS-validated test_integration_mock_with_vtl_map_assignation,
    tests/recorded/apigateway); airspeed refuses them as syntax errors."""
    self.identity_match(self.START)
    (place,) = self.require_match(self.PLACE, "place")
    steps: list[Any] = place.split(".")
    while True:
        try:
            steps.append(self.next_element(airspeed.ArrayIndex))
        except airspeed.NoMatch:
            step = self.next_match(_SET_STEP)
            if step is None:
                break
            steps.append(step[0])
    self.terms = steps
    self.require_match(self.EQUALS, "=")
    self.value = self.require_next_element(airspeed.Expression, "expression")
    self.require_match(self.END, "closing paren")


def set_place(self: Any, stream: Any, namespace: Any, loader: Any) -> None:
    value = self.value.calculate(namespace, loader)
    keys = [step if isinstance(step, str) else step.calculate(namespace, loader) for step in self.terms]
    if len(keys) == 1:
        namespace.set_inherited(keys[0], value)
        return
    target = namespace
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value


def _map_values(value: object) -> object:
    return list(value.values()) if isinstance(value, dict) else value


VELOCITY_NAME = "[a-z_][a-z0-9_-]*"
"""A Velocity 1.7 identifier (case-insensitive)."""
_SET_STEP = re.compile(rf"\.({VELOCITY_NAME})", re.IGNORECASE)


def then(parse: Callable[[Any], None], after: Callable[[Any], None]) -> Callable[[Any], None]:
    """An element's parse, followed by after(element)."""

    def parse_then(self: Any) -> None:
        parse(self)
        after(self)

    return parse_then


def _adapt_calculate(element: Any, adapt: Callable[[Any], Any]) -> None:
    calculate = element.calculate
    element.calculate = lambda namespace, loader: adapt(calculate(namespace, loader))


def truth_of_condition(condition: Any) -> None:
    """#if / #elseif: Velocity's truth (only null and false are false)."""
    _adapt_calculate(condition, _truth)


def foreach_values(foreach: Any) -> None:
    """Velocity's #foreach over a Map walks its values (airspeed walks the keys)."""
    _adapt_calculate(foreach.value, _map_values)


BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": _equals,
    "eq": _equals,
    "+": _add,
    **dict.fromkeys(("!=", "ne"), lambda a, b: not _equals(a, b)),
    **dict.fromkeys(("||", "or"), lambda a, b: _truth(a) or _truth(b)),
    **dict.fromkeys(("&&", "and"), lambda a, b: _truth(a) and _truth(b)),
}
UNARY_OPERATORS: dict[str, Callable[[Any], Any]] = dict.fromkeys(("!", "not"), lambda v: not _truth(v))
ADDITIONAL_METHODS: dict[type, dict[str, Callable[..., Any]]] = {
    dict: {"size": len, "containsKey": lambda d, k: k in d, "keySet": list, "toString": _to_string},
    list: {"isEmpty": lambda items: not items, "toString": _to_string},
    # java.lang.Integer, Double, Boolean
    **{number: {"toString": _to_string} for number in (int, float, bool)},
}
