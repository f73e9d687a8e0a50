"""Mandate codes as people read them: 1.2 before 1.10, 2.1 before 2.1-LS."""


def code_key(code: str) -> tuple:
    """Sort key for codes like 1.2, 1.10, 2.1-LS (numbers numerically)."""
    head, _, tail = code.partition("-")
    return (*(int(part) if part.isdigit() else 0 for part in head.split(".")), tail)
