"""The API's JSON parser: DRF's, made to refuse what would otherwise fail later as a 500."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class InvitesJSONParser(JSONParser):
    """DRF's `JSONParser`, also refusing over-deep nesting, lone surrogates and overflow.

    `json` raises `RecursionError` (not a `ValueError`) on deeply nested input, accepts
    escaped lone surrogates (`"\\ud800"`) that no UTF-8 database or response can hold,
    and reads `1e400` as infinity, which no JSON column takes. All three are a client's
    malformed body, so all three become DRF's 400 parse error.
    """

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        """The parsed body, or `ParseError` when it could not be stored or echoed."""
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the document is nested too deeply.")) from None
        problem = _find_problem(data)
        if problem:
            raise ParseError(problem)
        return data


def _find_problem(data: Any) -> str | None:
    """Why a parsed JSON document cannot be used, or None; walks without recursion."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return _("JSON parse error - a string holds an unpaired surrogate.")
        elif isinstance(item, float) and not math.isfinite(item):
            return _("JSON parse error - a number is out of range.")
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
