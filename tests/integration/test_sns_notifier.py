"""The SNS notifier publishes what customer success hears about to the alerts topic template.yaml declares (moto's
SNS, created by the `cloud` fixture), as a subscriber receives it: an SQS queue subscribed to the topic."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import pytest
from botocore.exceptions import EndpointConnectionError
from moto.sns.exceptions import SNSInvalidParameter
from moto.sns.models import SNSBackend

from adapters.sns import SnsNotifier, notification_subject
from domain.events import LimitForecast, LimitNotice, LimitReached
from domain.ports import NotificationNotDelivered
from emulator.cloud import LocalCloud

AT = datetime(2025, 3, 14, 12, 30, tzinfo=UTC)
LONGEST_ORG_ID = "o" * 128  # the longest id the REST contract accepts


@dataclass
class Subscriber:
    """An SQS queue subscribed to the alerts topic: what an e-mail or chat integration would be sent."""

    cloud: LocalCloud
    queue_url: str

    def received(self) -> list[dict[str, Any]]:
        sqs = self.cloud.client("sqs")
        envelopes: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return envelopes
            for message in messages:
                envelopes.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def _subscribe(cloud: LocalCloud, filter_policy: dict[str, Any] | None = None) -> Iterator[Subscriber]:
    sqs, sns = cloud.client("sqs"), cloud.client("sns")
    queue_url = sqs.create_queue(QueueName=f"alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {} if filter_policy is None else {"FilterPolicy": json.dumps(filter_policy)}
    subscription = sns.subscribe(
        TopicArn=os.environ["ALERTS_TOPIC_ARN"], Protocol="sqs", Endpoint=queue_arn, Attributes=attributes
    )["SubscriptionArn"]
    try:
        yield Subscriber(cloud, queue_url)
    finally:
        sns.unsubscribe(SubscriptionArn=subscription)
        sqs.delete_queue(QueueUrl=queue_url)


@pytest.fixture
def subscriber(cloud: LocalCloud) -> Iterator[Subscriber]:
    yield from _subscribe(cloud)


@pytest.fixture
def forecasts_only(cloud: LocalCloud) -> Iterator[Subscriber]:
    yield from _subscribe(cloud, {"kind": ["LimitForecast"]})


@pytest.fixture
def notifier(cloud: LocalCloud) -> SnsNotifier:
    return SnsNotifier(cloud.client("sns"), os.environ["ALERTS_TOPIC_ARN"])


def _published_for(cloud: LocalCloud, org_id: str) -> list[dict[str, Any]]:
    return [note for note in cloud.notifications() if note.get("orgId") == org_id]


# -- the message -------------------------------------------------------------------------------------------


def test_limit_reached_carries_the_facts_of_the_period_and_no_projection(
    notifier: SnsNotifier, subscriber: Subscriber, org_id: str
) -> None:
    # Given an org on Lite that used its last credit
    notice = LimitReached(org_id, AT, "Lite", "2025-03", 20, 20)

    # When it is published
    notifier.publish(notice)

    # Then a subscriber receives one message with the facts, the subject line, and filterable attributes
    (envelope,) = subscriber.received()
    subject = f"Org {org_id} has used all 20 credits of 2025-03 (Lite)"
    assert json.loads(envelope["Message"]) == {
        "kind": "LimitReached",
        "orgId": org_id,
        "plan": "Lite",
        "period": "2025-03",
        "used": 20,
        "limit": 20,
        "occurredAt": "2025-03-14T12:30:00Z",
        "subject": subject,
    }
    assert envelope["Subject"] == subject
    assert envelope["MessageAttributes"] == {
        "kind": {"Type": "String", "Value": "LimitReached"},
        "plan": {"Type": "String", "Value": "Lite"},
    }


def test_a_forecast_also_carries_the_projected_usage(
    notifier: SnsNotifier, subscriber: Subscriber, org_id: str
) -> None:
    notice = LimitForecast(org_id, AT, "Basic", "2025-03", 55, 110, projected=113.67)

    notifier.publish(notice)

    (envelope,) = subscriber.received()
    message = json.loads(envelope["Message"])
    assert {key: message[key] for key in ("kind", "plan", "used", "limit", "projected")} == {
        "kind": "LimitForecast",
        "plan": "Basic",
        "used": 55,
        "limit": 110,
        "projected": 113.67,
    }
    assert envelope["Subject"] == message["subject"]
    assert message["subject"].startswith(f"Org {org_id} is on track to use all 110 credits of 2025-03 (Basic): 55 used")
    assert envelope["MessageAttributes"]["kind"] == {"Type": "String", "Value": "LimitForecast"}


def test_a_trial_notice_names_the_trial_window(notifier: SnsNotifier, subscriber: Subscriber, org_id: str) -> None:
    notifier.publish(LimitReached(org_id, AT, "Trial", "TRIAL", 10, 10))

    (envelope,) = subscriber.received()
    assert json.loads(envelope["Message"])["period"] == "TRIAL"
    assert envelope["MessageAttributes"]["plan"] == {"Type": "String", "Value": "Trial"}


def test_a_subscription_can_filter_on_the_kind_attribute(
    notifier: SnsNotifier, forecasts_only: Subscriber, org_id: str
) -> None:
    # Given a subscriber that only wants forecasts (a sales team, say)
    # When both kinds are published
    notifier.publish(LimitReached(org_id, AT, "Lite", "2025-03", 20, 20))
    notifier.publish(LimitForecast(org_id, AT, "Lite", "2025-03", 12, 20, projected=27.5))

    # Then it receives the forecast only
    assert [json.loads(envelope["Message"])["kind"] for envelope in forecasts_only.received()] == ["LimitForecast"]


@pytest.mark.parametrize(
    "notice",
    [
        LimitReached("org-0123456789ab", AT, "Lite", "2025-03", 20, 20),
        LimitReached(LONGEST_ORG_ID, AT, "Enterprise", "2025-03", 500, 500),
        LimitForecast("org-0123456789ab", AT, "Enterprise", "2025-03", 499, 500, projected=1234.56),
        LimitForecast(LONGEST_ORG_ID, AT, "Ultimate", "2025-03", 999, 100_000, projected=123_456.78),
        LimitForecast("org-0123456789ab", AT, "Trial", "TRIAL", 9, 10, projected=10.0),
    ],
    ids=["reached", "reached-longest-org-id", "forecast-enterprise", "forecast-longest-and-largest", "trial"],
)
def test_the_subject_is_one_line_of_at_most_100_characters_that_sns_accepts(
    notifier: SnsNotifier, cloud: LocalCloud, notice: LimitNotice
) -> None:
    # Given a notice, however long its org id and figures
    subject = notification_subject(notice)

    # Then its subject is one non-empty line of at most 100 characters, beginning with the org
    assert 0 < len(subject) <= 100
    assert subject.splitlines() == [subject]
    assert subject.isprintable()
    assert subject.startswith("Org ")
    # and SNS takes it as the message's subject
    notifier.publish(notice)
    assert _published_for(cloud, notice.org_id)[-1]["subject"] == subject


def test_a_cut_subject_stays_plain_ascii(org_id: str) -> None:
    # Given a forecast for an ordinary org id (org- and 12 hex digits) on Enterprise
    notice = LimitForecast(org_id, AT, "Enterprise", "2025-03", 300, 500, projected=612.5)

    # When its subject is longer than SNS allows and has to be cut
    subject = notification_subject(notice)

    # Then it is still plain ASCII
    assert subject.isascii(), subject


# -- when SNS refuses ----------------------------------------------------------------------------------------


def test_a_message_sns_refuses_is_reported_as_not_delivered(
    notifier: SnsNotifier, cloud: LocalCloud, org_id: str
) -> None:
    # Given an SNS that answers every publish with an error
    refusal = SNSInvalidParameter("the topic is not taking messages")
    with patch.object(SNSBackend, "publish", side_effect=refusal), pytest.raises(NotificationNotDelivered):
        # When a notice is published, Then the notifier says it was not delivered (the domain's error, not boto's)
        notifier.publish(LimitReached(org_id, AT, "Lite", "2025-03", 20, 20))

    # and nothing was published
    assert _published_for(cloud, org_id) == []


def test_a_topic_that_does_not_exist_is_reported_as_not_delivered(cloud: LocalCloud, org_id: str) -> None:
    missing = os.environ["ALERTS_TOPIC_ARN"].rsplit(":", 1)[0] + ":NoSuchTopic"
    notifier = SnsNotifier(cloud.client("sns"), missing)

    with pytest.raises(NotificationNotDelivered):
        notifier.publish(LimitReached(org_id, AT, "Lite", "2025-03", 20, 20))


class _UnreachableSns:
    """An SNS client whose endpoint cannot be reached (botocore raises before any response exists)."""

    def publish(self, **_: Any) -> dict[str, Any]:
        raise EndpointConnectionError(endpoint_url="https://sns.eu-west-2.amazonaws.com/")


def test_an_unreachable_sns_is_reported_as_not_delivered(org_id: str) -> None:
    notifier = SnsNotifier(_UnreachableSns(), "arn:aws:sns:eu-west-2:123456789012:AlertsTopic")

    with pytest.raises(NotificationNotDelivered):
        notifier.publish(LimitReached(org_id, AT, "Lite", "2025-03", 20, 20))
