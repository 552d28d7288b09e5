"""`DURATION` arguments of the management commands: a whole number and a unit (`30d`)."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta

from django.utils.translation import gettext as _

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DURATION_RE = re.compile(r"([0-9]+)([smhdw])")
MAX_DURATION = timedelta(days=36500)


def parse_duration(value: str) -> timedelta:
    """Parse `45m`, `12h`, `30d` or `2w` (also `90s`); raise `ValueError` saying what is wrong."""
    match = DURATION_RE.fullmatch(value.strip().lower())
    if not match:
        raise ValueError(
            _(
                "invalid duration %(value)r: use a whole number and a unit, s (seconds), "
                "m (minutes), h (hours), d (days) or w (weeks), e.g. 45m, 12h, 30d"
            )
            % {"value": value}
        )
    number, unit = int(match[1]), match[2]
    if number > MAX_DURATION / timedelta(**{UNITS[unit]: 1}):
        raise ValueError(
            _("invalid duration %(value)r: at most %(days)d days")
            % {"value": value, "days": MAX_DURATION.days}
        )
    return timedelta(**{UNITS[unit]: number})


def duration_argument(value: str) -> timedelta:
    """`parse_duration` as an argparse `type`: bad values become usage errors."""
    try:
        return parse_duration(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
