"""Hostile input: schemathesis generates requests from the REST API's OpenAPI document (the very file template.yaml
deploys) and holds every answer of the emulator to it.

Valid and invalid requests alike (wrong types, missing and unknown fields, ids outside the pattern, out-of-range
numbers, other content types and methods) must never get a 5xx, and every answer must have a documented status,
content type and body. A request the document calls invalid must be refused with 400. The run is bounded and
deterministic, so that `make test` stays fast and fails the same way on every machine.
"""

from __future__ import annotations

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from emulator.cloud import stack_parameters_from_environment
from emulator.template import resolved_api_document

CONFIG = schemathesis.Config.from_dict(
    {
        "suppress-health-check": ["too_slow"],
        "generation": {
            "mode": "all",  # positive and negative
            "max-examples": 40,  # per operation, fuzzing phase; the coverage phase adds its boundary cases
            "deterministic": True,  # the same requests on every run, in CI too
            "database": "none",  # nothing written to .hypothesis/, nothing replayed from an earlier run
        },
        # Invalid by the document means refused as invalid: not accepted, and not judged on its merits (402, 409).
        "checks": {"negative_data_rejection": {"expected-statuses": [400]}},
        "phases": {"stateful": {"enabled": False}},
    }
)

# The document as CloudFormation would deploy the emulator's stack (its Fn::If on ApiAuth resolved the same way).
schema = schemathesis.openapi.from_dict(
    resolved_api_document(parameters=stack_parameters_from_environment()), config=CONFIG
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@schema.parametrize()
def test_every_answer_is_documented_and_none_is_a_server_error(case, api):
    # Given a request generated from the API document (the orgs it names are created in the shared emulator)
    # When it is sent to the emulator
    # Then the answer is not a server error, and its status, content type and body are as documented
    case.call_and_validate(base_url=api.url, checks=CHECKS)
