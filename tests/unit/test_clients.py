"""The functions' clients come from a session whose loader is told the services they use: it must load exactly
what botocore's own loader loads for those, and nothing for a service they do not use."""

from __future__ import annotations

import botocore.session
import pytest
from botocore.exceptions import DataNotFoundError

from adapters.clients import CLIENT_CONFIG, SERVICES, aws_session, client

MODEL_TYPES = ("service-2", "endpoint-rule-set-1")
"""What creating a client loads per service."""


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("type_name", MODEL_TYPES)
def test_the_loader_loads_the_same_model_as_botocores_own(service: str, type_name: str) -> None:
    ours = aws_session().get_component("data_loader")
    botocores = botocore.session.get_session().get_component("data_loader")

    assert ours.load_service_model(service, type_name) == botocores.load_service_model(service, type_name)


@pytest.mark.parametrize("service", SERVICES)
def test_a_client_of_each_service_has_the_operations_and_settings_of_a_boto3_client(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the region from the environment, as Lambda sets it
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    # When the functions' client is made
    made = client(aws_session(), service)
    # Then it is what boto3.client would make with the same config
    reference = botocore.session.get_session().create_client(service, region_name="eu-west-2", config=CLIENT_CONFIG)

    assert made.meta.service_model.operation_names == reference.meta.service_model.operation_names
    assert made.meta.config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert (made.meta.config.connect_timeout, made.meta.config.read_timeout) == (1, 1)


def test_a_service_the_functions_do_not_use_is_unknown() -> None:
    with pytest.raises(botocore.exceptions.UnknownServiceError):
        aws_session().create_client("s3", region_name="eu-west-2")


def test_a_model_type_missing_for_a_known_service_is_not_found() -> None:
    with pytest.raises(DataNotFoundError):
        aws_session().get_component("data_loader").load_service_model("dynamodb", "no-such-model-1")
