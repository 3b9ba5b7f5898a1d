"""Publishes what customer success must hear about to the alerts SNS topic."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from domain.events import LimitForecast, LimitNotice
from domain.ports import NotificationNotDelivered


def notification_message(notice: LimitNotice) -> dict[str, Any]:
    message: dict[str, Any] = {
        "kind": notice.kind,
        "orgId": notice.org_id,
        "plan": notice.plan,
        "period": notice.window,
        "used": notice.used,
        "limit": notice.limit,
    }
    if isinstance(notice, LimitForecast):
        message["projected"] = notice.projected
    message["occurredAt"] = notice.occurred_at.isoformat().replace("+00:00", "Z")
    message["subject"] = notification_subject(notice)
    return message


def notification_subject(notice: LimitNotice) -> str:
    """One line, fit for an e-mail subject."""
    if isinstance(notice, LimitForecast):
        text = (
            f"Org {notice.org_id} is on track to use all {notice.limit} credits of {notice.window} "
            f"({notice.plan}): {notice.used} used, {notice.projected:g} projected"
        )
    else:
        text = f"Org {notice.org_id} has used all {notice.limit} credits of {notice.window} ({notice.plan})"
    # SNS wants ASCII and fewer than 100 characters (ids are ASCII by contract).
    return text if len(text) < 100 else text[:96].rstrip() + "..."


class SnsNotifier:
    """Implements domain.ports.Notifier. Message attributes `kind` and `plan` allow subscription filters."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._sns = client
        self._topic_arn = topic_arn

    def publish(self, notice: LimitNotice) -> None:
        message = notification_message(notice)
        try:
            self._sns.publish(
                TopicArn=self._topic_arn,
                Subject=message["subject"],
                Message=json.dumps(message),
                MessageAttributes={
                    "kind": {"DataType": "String", "StringValue": notice.kind},
                    "plan": {"DataType": "String", "StringValue": notice.plan},
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise NotificationNotDelivered(str(error)) from error
