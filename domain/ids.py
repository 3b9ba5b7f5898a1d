"""What an id is: orgId, userId, enquiryId and topUpId alike (the commands validate them with it; a cursor's
enquiry id is checked with it too)."""

from __future__ import annotations

import re

ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,128}$"


def is_id(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(ID_PATTERN, value) is not None
