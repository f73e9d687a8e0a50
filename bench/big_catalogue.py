"""A catalogue file of N mandates: the shipped one plus generated mandates (for import and CLI benchmarks).

Run: uv run python bench/big_catalogue.py 10000 /tmp/ikz-10000.yaml
"""

import argparse
import random
from pathlib import Path

from ikz.catalogue.spec import SHIPPED

MUNICIPAL = [
    "kreis-unna",
    "bergkamen",
    "boenen",
    "froendenberg",
    "holzwickede",
    "kamen",
    "luenen",
    "schwerte",
    "selm",
    "unna",
    "werne",
]
STATES = ["examine", "propose", "present", "decide", "implement", "control"]
TOPICS = ["Gemeinsame Beschaffung", "Vergabestelle", "Gehaltsabrechnung", "Bauhof", "Fuhrpark", "Archivverbund"]


def write(path: Path, n: int, *, seed: int = 2010) -> None:
    """Write the shipped catalogue with n − 16 generated mandates appended (same fields and bodies)."""
    rng = random.Random(seed)
    text = (SHIPPED / "kreis-unna-2010.yaml").read_text(encoding="utf-8").rstrip("\n")
    lines = [text]
    per_field = dict.fromkeys(range(1, 8), 100)
    for index in range(max(0, n - 16)):
        field = rng.randint(1, 7)
        per_field[field] += 1
        code = f"{field}.{per_field[field]}"
        state = rng.choice(STATES + ["on_hold"])
        leads = ", ".join(rng.sample(MUNICIPAL, rng.choice((1, 1, 2))))
        lines += [
            f"  - code: {code}",
            f"    field: {field}",
            f"    title: {rng.choice(TOPICS)} {index + 1}",
            "    description: >-",
            f"      Generiertes Mandat Nr. {index + 1} für Messungen; Umfang und Inhalt wie ein echtes.",
            f"    leads: [{leads}]",
            f"    participants: [{', '.join(rng.sample(MUNICIPAL, 3))}]",
        ]
        if state == "on_hold":
            lines += ["    state: on_hold", "    hold:", f"      from: {rng.choice(STATES)}", "      reason: Ruht"]
        else:
            lines.append(f"    state: {state}")
        if rng.random() < 0.7:
            lines.append(f"    due: 2011-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    write(args.path, args.n)


if __name__ == "__main__":
    main()
