"""The rules of the lifecycle that an operator configures; callers build them from the settings."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    """What a step needs to know beyond the mandate: the submission deadline before a meeting."""

    # Vorlagefrist: the paper must be in this many working days before the conference meets.
    submission_days: int
