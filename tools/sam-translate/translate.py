"""Translate template.yaml with AWS SAM's own translator (aws-sam-translator, the library `sam deploy`'s transform
runs), as CloudFormation would on a deploy: prints the resulting CloudFormation template as JSON.

Runs in the tool environment (.venv/tools, where aws-sam-cli pins the translator; its pydantic pin differs from the
app's). The API's body is included from api/openapi.yaml first, as `sam deploy` uploads it and AWS::Include inlines
it before SAM's transform runs. Usage: translate.py TEMPLATE [Name=Value ...] [--now EPOCH_SECONDS]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-2")  # pseudo parameters, before botocore reads it

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform


class _NoManagedPolicies:
    """The template names AWS managed policies by ARN only: a lookup by name would mean a change to review."""

    def load(self) -> dict[str, str]:
        raise AssertionError("the template names a managed policy by name; the translation would need IAM")


PACKAGED = ("CodeUri", "DefinitionUri")
"""Local paths `sam package` uploads and replaces with their S3 location."""


def _packaged(node: Any, base: Path) -> Any:
    """The template as `sam deploy` hands it to CloudFormation: local artifacts in S3, AWS::Include inlined."""
    if isinstance(node, dict):
        transform_ = node.get("Fn::Transform")
        if isinstance(transform_, dict) and transform_.get("Name") == "AWS::Include":
            return yaml_parse((base / transform_["Parameters"]["Location"]).read_text(encoding="utf-8"))
        return {
            key: f"s3://artifacts/{value}" if key in PACKAGED and isinstance(value, str) else _packaged(value, base)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_packaged(value, base) for value in node]
    return node


def main(argv: list[str]) -> int:
    path = Path(argv[0])
    now = None
    parameters: dict[str, Any] = {}
    rest = argv[1:]
    while rest:
        argument = rest.pop(0)
        if argument == "--now":
            now = float(rest.pop(0))
        else:
            name, value = argument.split("=", 1)
            parameters[name] = value
    template = _packaged(yaml_parse(path.read_text(encoding="utf-8")), path.parent)
    declared = template.get("Parameters", {})
    unknown = set(parameters) - set(declared)
    if unknown:
        raise SystemExit(f"parameters the template does not declare: {sorted(unknown)}")
    values = {name: spec["Default"] for name, spec in declared.items() if "Default" in spec} | parameters
    values |= {"AWS::Region": "eu-west-2", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"}
    # SAM stamps an API that always deploys with the current second (samtranslator/model/apigateway.py,
    # make_auto_deployable): --now sets it, so two translations can be made a second apart without waiting.
    with mock.patch("time.time", return_value=now if now is not None else time.time()):
        translated = transform(template, values, _NoManagedPolicies())  # type: ignore[arg-type]
    json.dump(translated, sys.stdout, indent=1, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
