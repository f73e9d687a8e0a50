"""Placeholder: the `ikz outbox` command is being written."""


def register(group) -> None:
    """Add this module's commands to the ikz group."""
