"""API Gateway mapping templates render as API Gateway renders them."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest

from emulator.vtl import (
    GatewayError,
    HttpRequest,
    TemplateError,
    render_gateway_response_template,
    render_request_template,
    render_response_template,
)


def _request(**changes: object) -> HttpRequest:
    request = HttpRequest(
        method="POST",
        path="/orgs/acme/plan",
        path_params={"orgId": "acme"},
        query={"period": "2024-05"},
        headers={"Content-Type": "application/json", "User-Agent": "pytest"},
        body='{"plan": "pro"}',
        request_id="req-123",
        resource_path="/orgs/{orgId}/plan",
    )
    return replace(request, **changes)  # type: ignore[arg-type]


def _render(template: str, **changes: object) -> str:
    return render_request_template(template, _request(**changes)).text


# ---- $util.escapeJavaScript -------------------------------------------------------------------


def test_escape_javascript_escapes_quotes_slashes_and_non_ascii() -> None:
    body = json.dumps({"text": "a'b\"c\\d/e\nf\tg\rh\bi\fj\x01k\x7fé€😀"})

    text = _render("$util.escapeJavaScript($input.path('$.text'))", body=body)

    # Commons Lang escapes from U+0080 up, so DEL (U+007F) passes through unescaped.
    assert text == "a\\'b\\\"c\\\\d\\/e\\nf\\tg\\rh\\bi\\fj\\u0001k\x7f\\u00E9\\u20AC\\uD83D\\uDE00"


def test_escape_javascript_then_replace_all_turns_escaped_apostrophes_back() -> None:
    body = json.dumps({"name": "O'Brien"})

    escaped = _render("$util.escapeJavaScript($input.path('$.name'))", body=body)
    idiom = _render("""$util.escapeJavaScript($input.path('$.name')).replaceAll("\\\\'", "'")""", body=body)

    assert escaped == "O\\'Brien"
    assert idiom == "O'Brien"


def test_escape_javascript_idiom_yields_a_json_string_for_any_text() -> None:
    original = 'He said "it\'s" <ok>\nC:\\temp ü 😀'
    template = """{"v": "$util.escapeJavaScript($input.path('$.v')).replaceAll("\\\\'", "'")"}"""

    text = _render(template, body=json.dumps({"v": original}))

    assert json.loads(text) == {"v": original}


# ---- string literals, as Velocity reads them -------------------------------------------------


def test_double_quoted_literals_keep_backslashes_as_written() -> None:
    template = '#set($s = "a\\\\b\\nc")$s $s.length()'

    assert _render(template) == "a\\\\b\\nc 7"


def test_double_quoted_literals_interpolate_and_read_unicode_escapes() -> None:
    assert _render('#set($s = "${context.requestId}-\\u0041")$s') == "req-123-A"


def test_identifiers_may_contain_hyphens_as_in_velocity_1_7() -> None:
    # $context.requestId-x is the (undefined) property requestId-x, which renders as nothing
    assert _render("[$context.requestId-x] ${context.requestId}-x") == "[] req-123-x"


def test_set_may_index_a_map_as_in_velocity_1_7() -> None:
    by_variable = """#set($m = {})#set($k = "a")#set($m[$k] = 1)"""
    nested = """#set($n = {"x": {}})#set($n["x"].y = 2)#set($n.x["z"] = 3)"""

    assert _render(by_variable + nested + "$m $n") == "{a=1} {x={y=2, z=3}}"


def test_a_header_override_may_be_named_by_a_variable() -> None:
    template = """#set($name = "Retry-After")#set($context.responseOverride.header[$name] = "1")ok"""

    assert render_request_template(template, _request()).header_overrides == {"Retry-After": "1"}


def test_a_doubled_quote_in_a_literal_stands_for_one_quote() -> None:
    assert _render("#set($s = 'it''s')$s") == "it's"


# ---- $context and the response overrides -----------------------------------------------------


def test_context_describes_the_request() -> None:
    template = (
        "$context.requestId|$context.extendedRequestId|$context.httpMethod|$context.resourcePath|"
        "$context.path|$context.stage|$context.identity.sourceIp|$context.identity.userAgent"
    )

    text = _render(template, stage="dev")

    assert text == "req-123|req-123|POST|/orgs/{orgId}/plan|/dev/orgs/acme/plan|dev|127.0.0.1|pytest"


def test_context_request_time_epoch_is_milliseconds() -> None:
    epoch = int(_render("$context.requestTimeEpoch"))

    assert 1_600_000_000_000 < epoch < 10_000_000_000_000


def test_response_override_status_is_read_back() -> None:
    rendered = render_request_template("#set($context.responseOverride.status = 402)ok", _request())

    assert rendered.status_override == 402
    assert rendered.text == "ok"


def test_response_override_status_accepts_a_numeric_string() -> None:
    rendered = render_request_template('#set($context.responseOverride.status = "409")', _request())

    assert rendered.status_override == 409


def test_response_override_status_that_is_not_a_status_raises_template_error() -> None:
    with pytest.raises(TemplateError, match=r"responseOverride\.status"):
        render_request_template('#set($context.responseOverride.status = "teapot")', _request())


def test_response_override_headers_are_read_back_including_hyphenated_names() -> None:
    template = (
        '#set($context.responseOverride.header.Location = "/orgs/acme")'
        '#set($context.responseOverride.header.X-Request-Id = "$context.requestId")'
    )

    rendered = render_request_template(template, _request())

    assert rendered.header_overrides == {"Location": "/orgs/acme", "X-Request-Id": "req-123"}


def test_without_overrides_status_and_headers_are_left_alone() -> None:
    rendered = render_request_template("plain", _request())

    assert rendered.status_override is None
    assert rendered.header_overrides == {}


# ---- $input.params -----------------------------------------------------------------------------


def test_params_lookup_order_path_then_query_then_header() -> None:
    request = _request(
        path_params={"id": "from-path"},
        query={"id": "from-query", "q": "from-query"},
        headers={"id": "from-header", "q": "from-header", "h": "from-header"},
    )

    text = render_request_template("$input.params('id') $input.params('q') $input.params('h')", request).text

    assert text == "from-path from-query from-header"


def test_params_finds_headers_whatever_their_case() -> None:
    assert _render("$input.params('content-type')") == "application/json"


def test_params_of_an_absent_name_is_an_empty_string() -> None:
    assert _render("[$input.params('missing')]") == "[]"


def test_params_without_a_name_gives_the_path_querystring_and_header_maps() -> None:
    template = (
        "#set($all = $input.params())"
        "#foreach($type in $all.keySet())$type:#foreach($name in $all.get($type).keySet())"
        "$name=$all.get($type).get($name);#end#end"
    )

    text = _render(template, headers={"X-Api-Key": "k"})

    assert text == "path:orgId=acme;querystring:period=2024-05;header:X-Api-Key=k;"


# ---- $input.body, $input.json, $input.path ------------------------------------------------------


def test_body_is_the_raw_text() -> None:
    assert _render("$input.body", body='{"a": [1, 2]}\n') == '{"a": [1, 2]}\n'


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", {"a": {"b": [10, 20], "c d": "x"}, "s": "str"}),
        ("$.a", {"b": [10, 20], "c d": "x"}),
        ("$.a.b", [10, 20]),
        ("$.a.b[0]", 10),
        ("$['a']['c d']", "x"),
        ('$["s"]', "str"),
    ],
)
def test_json_reserialises_what_the_jsonpath_selects(path: str, expected: object) -> None:
    body = json.dumps({"a": {"b": [10, 20], "c d": "x"}, "s": "str"})

    quoted = f'"{path}"' if "'" in path else f"'{path}'"

    text = _render(f"$input.json({quoted})", body=body)

    assert json.loads(text) == expected


def test_json_of_a_missing_key_is_the_json_of_an_empty_string() -> None:
    assert _render("[$input.json('$.nope')]", body="{}") == '[""]'


def test_json_is_compact_as_json_smart_writes_it() -> None:
    body = json.dumps({"a": [1, "x/y"], "s": "line\u2028sep\u0085"})

    assert _render("$input.json('$')", body=body) == '{"a":[1,"x/y"],"s":"line\\u2028sep\\u0085"}'


def test_path_gives_objects_templates_can_navigate() -> None:
    body = json.dumps({"org": {"id": "acme", "users": ["ann", "bob"]}, "credits": 5})
    template = (
        "#set($r = $input.path('$'))"
        "$r.org.id $r.org.users.size() $r.org.users[1] $r.credits "
        "#foreach($u in $r.org.users)$u.toUpperCase()#if($foreach.hasNext),#end#end"
    )

    assert _render(template, body=body) == "acme 2 bob 5 ANN,BOB"


def test_path_of_a_missing_key_is_null() -> None:
    template = "#if($input.path('$.nope'))set#{else}null#end [$input.path('$.nope')]"

    assert _render(template, body="{}") == "null []"


def test_empty_body_maps_as_an_empty_object() -> None:
    assert _render("$input.body $input.json('$') $input.path('$').size()", body="") == "{} {} 0"


def test_an_empty_body_is_base64_encoded_as_an_empty_object() -> None:
    assert _render("$util.base64Encode($input.body)", body="") == "e30="


def test_path_on_invalid_json_raises_template_error() -> None:
    with pytest.raises(TemplateError, match="not valid JSON"):
        _render("$input.path('$.a')", body='{"a": ')


def test_a_payload_that_opens_no_object_array_or_string_reads_as_one_trimmed_string() -> None:
    # json-smart's permissive reading, as API Gateway mapped a=b (tests/recorded/apigateway, ToQoz's recordings)
    assert _render("$input.path('$') $input.json('$') [$input.path('$.a')]", body=" a=b{ \n") == 'a=b{ "a=b{" []'


def test_json_on_invalid_json_raises_template_error() -> None:
    with pytest.raises(TemplateError, match="not valid JSON"):
        _render("$input.json('$')", body="{broken")


def test_unsupported_jsonpath_raises_template_error() -> None:
    with pytest.raises(TemplateError, match="unsupported JSONPath"):
        _render("$input.json('$..a')", body="{}")


# ---- other $util functions ----------------------------------------------------------------------


def test_parse_json_gives_an_object() -> None:
    template = """#set($o = $util.parseJson('{"n": 1, "tags": ["a"]}'))$o.n $o.tags[0]"""

    assert _render(template) == "1 a"


def test_parse_json_on_invalid_json_raises_template_error() -> None:
    with pytest.raises(TemplateError, match="parseJson"):
        _render("$util.parseJson('{nope')")


def test_base64_round_trips_utf8_text() -> None:
    body = 'naïve "quoted"\nline'

    encoded = _render("$util.base64Encode($input.body)", body=body)
    decoded = _render("$util.base64Decode($util.base64Encode($input.body))", body=body)

    assert base64.b64decode(encoded).decode() == body
    assert decoded == body


def test_url_encode_and_decode_follow_java() -> None:
    assert _render("$util.urlEncode('a b*~/é')") == "a+b*%7E%2F%C3%A9"
    assert _render("$util.urlDecode('a+b%2F%C3%A9')") == "a b/é"


# ---- Velocity semantics -------------------------------------------------------------------------


def test_undefined_and_null_references_render_as_nothing_quiet_or_not() -> None:
    # Velocity 1.7 would print "$nope": API Gateway prints nothing (tests/recorded/apigateway)
    template = "[$nope] [$context.nope] [$!nope] [${nope}] [$input.path('$.a')] [$input.params] [$util.urlEncode] [$]"

    assert _render(template, body='{"a": null}') == "[] [] [] [] [] [] [] [$]"


def test_a_null_compares_equal_to_an_empty_string_and_to_null() -> None:
    template = """#set($n = $input.path('$.nope'))#if($n == "")e#end #if($n == $null)n#end #if($n != "x")x#end"""

    assert _render(template, body="{}") == "e n x"


def test_a_null_argument_of_a_util_function_reads_as_an_empty_string() -> None:
    template = "[$util.urlEncode($nope)] [$util.escapeJavaScript($nope)] [$util.base64Encode($nope)]"

    assert _render(template) == "[] [] []"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [("$nope", "no"), ("$no", "no"), ("$empty", "yes"), ("$zero", "yes"), ("$list", "yes"), ("!$nope", "yes")],
)
def test_only_null_and_false_are_false_in_if(condition: str, expected: str) -> None:
    # (Velocity 1.7 reads a bare literal such as #if('') or #if(0) as false; the values they hold are true.)
    values = "#set($no = false)#set($empty = '')#set($zero = 0)#set($list = [])"

    assert _render(f"{values}#if({condition})yes#{{else}}no#end") == expected


def test_values_render_as_java_would_print_them() -> None:
    # JSON objects are Java maps; JSON arrays are json-smart's JSONArray, which prints itself as JSON
    body = json.dumps({"ok": True, "m": {"a": None, "b": [1, "x", {"c": "/"}]}})

    text = _render("$input.path('$.ok') $input.path('$.m') $input.path('$.m.b[2]')", body=body)

    assert text == 'true {a=null, b=[1,"x",{"c":"\\/"}]} {c=/}'


def test_arrays_parsed_from_json_answer_list_methods() -> None:
    template = """#set($l = $util.parseJson('[1, "a"]'))$l.size() $l.get(1) $l.contains(1) $l.isEmpty() $l[0]"""

    assert _render(template) == "2 a true false 1"


def test_numbers_and_booleans_answer_to_string() -> None:
    assert (
        _render("$input.path('$.n').toString() $input.path('$.t').toString()", body='{"n": 5, "t": true}') == "5 true"
    )


def test_else_takes_the_rest_of_its_line_as_end_does() -> None:
    assert _render("#if(false)\na\n#else  \nb\n#end\nc #if(false)x#{else}\ny#end") == "b\nc y"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("#if(true)\n  #set($a = 1)\n  x\n#end", "  x\n"),
        ("$context.stage  #set($a = 1)x", "localx"),
        ("  #set($a = 1)x", "x"),
        ("y  #set($a = 1)x", "y  x"),
        ("y\n\t#set($a = 1)x", "y\n\tx"),
    ],
)
def test_spaces_before_set_are_part_of_it_unless_text_precedes_them_on_the_line(template: str, expected: str) -> None:
    assert _render(template) == expected


def test_foreach_over_a_map_walks_its_values() -> None:
    body = json.dumps({"m": {"a": 1, "b": 2}})

    template = "#foreach($v in $input.path('$.m'))$v;#end $input.path('$.m').keySet()"

    assert _render(template, body=body) == "1;2; [a, b]"


def test_comparing_a_number_with_a_string_compares_their_text() -> None:
    template = "#if($input.path('$.code') == \"402\")same#{else}different#end"

    assert _render(template, body='{"code": 402}') == "same"


def test_string_concatenation_with_plus() -> None:
    assert _render('#set($s = "n=" + 3)$s') == "n=3"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$s.length()", "13"),
        ("$s.contains('World')", "true"),
        ("$s.startsWith(' Hel')", "true"),
        ("$s.endsWith('d ')", "true"),
        ("$s.toLowerCase()", " hello world "),
        ("$s.toUpperCase()", " HELLO WORLD "),
        ("[$s.trim()]", "[Hello World]"),
        ("$s.trim().equals('Hello World')", "true"),
        ("$s.isEmpty()", "false"),
        ("$s.substring(1, 6)", "Hello"),
        ("$s.indexOf('o')", "5"),
        ("$s.replace('o', '0')", " Hell0 W0rld "),
        ("$s.replaceAll('(\\w+) (\\w+)', '$2 $1')", " World Hello "),
        ("$s.matches('\\s*Hello.*')", "true"),
    ],
)
def test_strings_answer_java_string_methods(expression: str, expected: str) -> None:
    assert _render(f"#set($s = ' Hello World '){expression}") == expected


def test_bad_vtl_raises_template_error() -> None:
    with pytest.raises(TemplateError):
        _render("#if($x")


# ---- the templates this project deploys --------------------------------------------------------

START_SYNC_EXECUTION = (
    '{"stateMachineArn": "arn:aws:states:eu-west-2:123456789012:stateMachine:UseCredit", '
    '"name": "$context.requestId", '
    '"input": "{\\"orgId\\": \\"$util.base64Encode($input.params(\'orgId\'))\\", '
    '\\"body\\": \\"$util.base64Encode($input.body)\\", '
    '\\"requestId\\": \\"$context.requestId\\"}"}'
)

EXECUTION_RESULT = """\
#set($r = $input.path('$'))
#if($r.status == "SUCCEEDED")
#set($out = $util.parseJson($r.output))
#if($out.replayed)#set($context.responseOverride.status = 200)\
#else#set($context.responseOverride.status = 201)#end
$r.output
#elseif($r.status == "FAILED")
#set($e = $util.parseJson($r.cause))
#set($context.responseOverride.status = $e.httpStatus)
$r.cause
#else
#set($context.responseOverride.status = 504)
{"code": "TIMEOUT", "message": "The request took too long."}
#end
"""


def test_start_sync_execution_request_carries_the_request_base64_encoded() -> None:
    body = '{"enquiry": "Bob\'s \\"quote\\"\\nnext line", "city": "Zürich 😀"}'
    request = _request(path_params={"orgId": "acme/ü"}, body=body)

    rendered = render_request_template(START_SYNC_EXECUTION, request)

    payload = json.loads(rendered.text)
    assert payload["stateMachineArn"].endswith(":stateMachine:UseCredit")
    assert payload["name"] == "req-123"
    execution_input = json.loads(payload["input"])
    assert base64.b64decode(execution_input["orgId"]).decode() == "acme/ü"
    assert base64.b64decode(execution_input["body"]).decode() == body
    assert execution_input["requestId"] == "req-123"


def _execution(status: str, **fields: object) -> str:
    return json.dumps({"executionArn": "arn:x", "status": status, **fields})


@pytest.mark.parametrize(("replayed", "status"), [(False, 201), (True, 200)])
def test_succeeded_execution_answers_201_or_200_when_replayed(replayed: bool, status: int) -> None:
    output = json.dumps({"replayed": replayed, "balance": 41})

    rendered = render_response_template(EXECUTION_RESULT, _request(), _execution("SUCCEEDED", output=output))

    assert rendered.status_override == status
    assert json.loads(rendered.text) == {"replayed": replayed, "balance": 41}


def test_failed_execution_returns_its_cause_with_the_status_the_cause_names() -> None:
    cause = json.dumps({"httpStatus": 402, "code": "OrgLimitReached", "message": "No credits left."})

    rendered = render_response_template(
        EXECUTION_RESULT, _request(), _execution("FAILED", error="OrgLimitReached", cause=cause)
    )

    assert rendered.status_override == 402
    assert json.loads(rendered.text)["code"] == "OrgLimitReached"


def test_timed_out_execution_returns_504_timeout() -> None:
    rendered = render_response_template(EXECUTION_RESULT, _request(), _execution("TIMED_OUT"))

    assert rendered.status_override == 504
    assert json.loads(rendered.text) == {"code": "TIMEOUT", "message": "The request took too long."}


def test_response_template_maps_the_integration_body_but_params_of_the_client_request() -> None:
    rendered = render_response_template(
        "$input.path('$.status') $input.params('orgId')", _request(), _execution("SUCCEEDED")
    )

    assert rendered.text == "SUCCEEDED acme"


def _deployed_templates(pattern: str) -> list[str]:
    from emulator.template import load_stack

    return [
        route.integration["responses"][pattern]["responseTemplates"]["application/json"]
        for route in load_stack().routes
    ]


def test_a_failure_whose_error_name_has_a_quote_still_answers_json() -> None:
    # escapeJavaScript turns ' into \', which JSON refuses: the templates turn it back (the AWS-documented idiom)
    body = _execution("FAILED", error='it\'s "odd" \\ 😀', cause="not a document")

    for template in _deployed_templates("default"):
        rendered = render_response_template(template, _request(), body)

        assert rendered.status_override == 500
        assert '(it\'s "odd" \\ 😀)' in json.loads(rendered.text)["message"]


def test_a_gateway_response_sees_the_error_message_quoted() -> None:
    error = GatewayError("DEFAULT_4XX", "Missing Authentication Token")
    template = '{"message": $context.error.messageString, "type": "$context.error.responseType"}'

    rendered = render_gateway_response_template(template, _request(), error)

    assert json.loads(rendered.text) == {"message": "Missing Authentication Token", "type": "DEFAULT_4XX"}


@pytest.mark.parametrize(
    "template",
    [
        '{"requestId": "$util.escapeJavaScript($context.requestId)"}',
        "{\"requestId\": \"$context.requestId.replace('-', '')\"}",
        '#set($x = 1){"x": $x}',
        '{"body": $input.body}',
        '{"n": "$context.nope"}',
        "#if(true){}#end",
    ],
    ids=["util", "method", "set", "input", "unknown-variable", "if"],
)
def test_a_gateway_response_template_is_substitution_only(template: str) -> None:
    # "A GatewayResponse mapping template isn't processed by the Velocity Template Language (VTL) engine": what
    # only VTL would make of it reaches the client as written on AWS, so the emulator refuses it
    with pytest.raises(TemplateError):
        render_gateway_response_template(template, _request(), GatewayError("DEFAULT_4XX", "Forbidden"))


def test_a_gateway_response_template_substitutes_its_context_variables() -> None:
    template = '{"requestId": "$context.requestId", "path": "${context.resourcePath}", "id": "$context.requestId-x"}'

    rendered = render_gateway_response_template(template, _request(), GatewayError("DEFAULT_4XX", "Forbidden"))

    document = json.loads(rendered.text)
    assert document["path"] == _request().resource_path
    assert document["id"] == f"{document['requestId']}-x"
