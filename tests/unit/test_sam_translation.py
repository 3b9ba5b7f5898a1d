"""What AWS SAM's own translator makes of template.yaml (tools/sam-translate/translate.py, run in the tool
environment where aws-sam-cli pins it): the resources CloudFormation is given on a deploy."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOOL_PYTHON = ROOT / ".venv" / "tools" / "bin" / "python"
TRANSLATE = ROOT / "tools" / "sam-translate" / "translate.py"


def _translate(*arguments: str) -> dict[str, Any]:
    assert TOOL_PYTHON.exists(), f"{TOOL_PYTHON} is missing: `make test` installs it (the Makefile's TOOLS)"
    done = subprocess.run(
        [TOOL_PYTHON, TRANSLATE, ROOT / "template.yaml", *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    translated: dict[str, Any] = json.loads(done.stdout)
    return translated


def _deployment(template: dict[str, Any]) -> tuple[str, str]:
    """The one API deployment's logical id, and the deployment the stage serves."""
    resources = template["Resources"]
    deployments = [name for name, resource in resources.items() if resource["Type"] == "AWS::ApiGateway::Deployment"]
    stages = [resource for resource in resources.values() if resource["Type"] == "AWS::ApiGateway::Stage"]
    assert len(deployments) == 1, deployments
    assert len(stages) == 1, stages
    return deployments[0], stages[0]["Properties"]["DeploymentId"]["Ref"]


def test_a_change_of_api_auth_reaches_the_stage_because_every_deploy_deploys_the_api() -> None:
    # Given a stack deployed with IAM authorisation
    first, first_served = _deployment(_translate("ApiAuth=AWS_IAM", "--now", "1767225600"))

    # When it is deployed again a minute later with ApiAuth=NONE (or with nothing changed at all)
    switched, switched_served = _deployment(_translate("ApiAuth=NONE", "--now", "1767225660"))
    again, _ = _deployment(_translate("ApiAuth=NONE", "--now", "1767225720"))

    # Then each deploy creates a new deployment and the stage serves it: CloudFormation replaces a deployment only
    # when its logical id changes, and SAM hashed the body with its Fn::If on ApiAuth unresolved, so the ids of
    # the two ApiAuth values were equal and the stage kept serving the first (aws/serverless-application-model#914)
    assert first_served == first
    assert switched_served == switched
    assert len({first, switched, again}) == 3


def test_the_translated_stack_grants_the_api_role_every_workflow_it_starts() -> None:
    # Given the translation (a check that the translation is the stack: the role the integrations assume)
    resources = _translate()["Resources"]

    # Then the API's role may start each state machine SAM created (but the daily audit's), and nothing else
    machines = {
        name
        for name, resource in resources.items()
        if resource["Type"] == "AWS::StepFunctions::StateMachine" and name != "AuditEveryOrgStateMachine"
    }
    statement = resources["ApiRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert {reference["Ref"] for reference in statement["Resource"]} == machines
