"""Publishes what customer success must hear about to the alerts SNS topic."""

from __future__ import annotations

import json
from typing import Any

from domain.events import LimitReached


def notification_message(event: LimitReached) -> dict[str, Any]:
    return {
        "kind": type(event).__name__,
        "orgId": event.org_id,
        "plan": event.plan,
        "period": event.period,
        "used": event.used,
        "limit": event.limit,
        "occurredAt": event.occurred_at.isoformat().replace("+00:00", "Z"),
    }


def notification_subject(event: LimitReached) -> str:
    return f"Org {event.org_id} has used all {event.limit} credits of {event.period} ({event.plan})"[:100]


class SnsNotifier:
    """Implements domain.ports.Notifier. Message attributes `kind` and `plan` allow subscription filters."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._sns = client
        self._topic_arn = topic_arn

    def publish(self, event: LimitReached) -> None:
        message = notification_message(event)
        self._sns.publish(
            TopicArn=self._topic_arn,
            Subject=notification_subject(event),
            Message=json.dumps(message),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": message["kind"]},
                "plan": {"DataType": "String", "StringValue": event.plan},
            },
        )
