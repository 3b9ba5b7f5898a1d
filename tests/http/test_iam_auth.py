"""The API as deployed by default (ApiAuth=AWS_IAM): a request that is not signed with SigV4 is refused by API
Gateway before any workflow runs, and changes nothing.

The shared emulator serves the stack as a sandbox (ApiAuth=NONE, what `make run` does unless EMULATOR_API_AUTH is
set); here a second server, over the same emulated account, serves the routes of the default stack. The emulator
checks a signature's presence and shape, not its value (docs/emulator.md, "Differences from AWS").
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from emulator.cloud import LocalCloud
from emulator.template import REGION, load_stack
from tests.conftest import Api, Reply, serving
from tests.http.support import assert_rejected

CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


@pytest.fixture(scope="module")
def iam_api(cloud: LocalCloud) -> Iterator[Api]:
    with serving(cloud, routes=load_stack(parameters={"ApiAuth": "AWS_IAM"}).routes) as client:
        yield client


def _signed(api: Api, method: str, path: str, body: object = None, region: str = REGION) -> Reply:
    """The call as awscurl or an SDK sends it: signed with SigV4 for execute-api in the region."""
    payload = None if body is None else json.dumps(body)
    request = AWSRequest(
        method=method,
        url=f"{api.url}{path}",
        data=payload,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(CREDENTIALS, "execute-api", region).add_auth(request)
    return api.call(method, path, raw=payload, headers=dict(request.headers.items()))


def test_an_unsigned_charge_is_refused_and_charges_nothing(iam_api, api, org_id):
    # Given an org with credits (set up through the sandbox server)
    assert api.set_plan(org_id, "Basic").status == 200

    # When a charge is sent without a signature to the default stack
    reply = iam_api.use(org_id, "enq-unsigned")

    # Then API Gateway refuses it, and nothing was charged
    assert_rejected(reply, 403, "MISSING_AUTHENTICATION_TOKEN")
    assert api.balance(org_id).body["used"] == 0


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer some-token",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/eu-west-2/execute-api/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/us-east-1/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/eu-west-2/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
    ],
    ids=["not-sigv4", "no-signature", "other-region", "other-service"],
)
def test_a_request_whose_authorization_is_not_a_sigv4_signature_for_this_api_is_refused(
    iam_api, api, org_id, authorization
):
    # Given an org on a plan
    assert api.set_plan(org_id, "Basic").status == 200

    # When a top-up arrives with an Authorization header that is not SigV4 for execute-api in this region
    reply = iam_api.call(
        "POST", f"/orgs/{org_id}/top-ups", {"credits": 5}, headers={"Authorization": authorization, "X-Amz-Date": "x"}
    )

    # Then it is refused as an invalid signature, and the limit did not move
    assert_rejected(reply, 403, "INVALID_SIGNATURE")
    assert api.balance(org_id).body["topUpCredits"] == 0


def test_a_signed_request_is_decided_by_the_service(iam_api, org_id):
    # When a staff tool signs its calls with SigV4 (as awscurl does)
    set_plan = _signed(iam_api, "PUT", f"/orgs/{org_id}/plan", {"plan": "Basic"})
    charge = _signed(iam_api, "POST", f"/orgs/{org_id}/usage", {"enquiryId": "enq-1", "userId": "alice"})
    balance = _signed(iam_api, "GET", f"/orgs/{org_id}/balance?userId=alice")

    # Then the service decides them as usual
    assert set_plan.status == 200, set_plan.body
    assert charge.status == 201, charge.body
    assert balance.status == 200
    assert balance.body["used"] == 1


def test_a_request_signed_for_another_region_is_refused(iam_api, org_id):
    # When the call is signed for a region the API is not in
    reply = _signed(iam_api, "GET", f"/orgs/{org_id}/balance", region="us-east-1")

    # Then it is refused
    assert_rejected(reply, 403, "INVALID_SIGNATURE")
