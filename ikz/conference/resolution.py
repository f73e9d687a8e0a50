"""The proposed resolution (Beschlussvorschlag) of a decision paper, worded in formal German from the data."""

from models import Body
from workflow.text import format_eur

# Bönen and Holzwickede are Gemeinden; every other municipality in the county is a Stadt.
GEMEINDEN = frozenset({"boenen", "holzwickede"})


def proposed_resolution(
    *,
    code: str,
    title: str,
    concept_ref: str | None,
    plan_ref: str | None,
    savings_target: int | None,
    leads: list[Body],
    joined: list[Body],
    undecided: list[dict],
) -> str:
    """Word what the conference is asked to resolve, with sensible phrasing for missing references."""
    subject = f"dem Konzept „{concept_ref}“" if concept_ref else f"dem Vorschlag zu Mandat {code} „{title}“"
    commission = f" und beauftragt {_accusative(leads)} mit der Umsetzung" if leads else " und beschließt die Umsetzung"
    sentences = [f"Die Bürgermeisterkonferenz stimmt {subject} zu{commission}.", _target(savings_target, plan_ref)]
    if joined:
        sentences.append(
            f"Beteiligt sind bisher {join([_nominative(b) for b in joined])}; weitere Stellen können sich anschließen."
        )
    else:
        sentences.append(
            "Über ihre Beteiligung entscheiden der Kreis und die Städte und Gemeinden jeweils selbst; "
            "Teillösungen sind möglich."
        )
    if undecided:
        noun = "über Mandat" if len(undecided) == 1 else "über die Mandate"
        others = join([f"{m['code']} „{m['title']}“" for m in undecided])
        sentences.append(f"Der Beschluss steht unter dem Vorbehalt der Entscheidung {noun} {others}.")
    return " ".join(sentences)


def _target(savings_target: int | None, plan_ref: str | None) -> str:
    # Every cooperation needs a controllable savings target based on an economic plan (Klausur 2010).
    if savings_target is not None and plan_ref:
        return (
            f"Das Effizienzziel beträgt {format_eur(savings_target)} pro Jahr "
            f"auf Grundlage des Wirtschaftsplans „{plan_ref}“."
        )
    if savings_target is not None:
        return (
            f"Das Effizienzziel beträgt {format_eur(savings_target)} pro Jahr; "
            "der zugrunde liegende Wirtschaftsplan ist nachzureichen."
        )
    if plan_ref:
        return (
            f"Auf Grundlage des Wirtschaftsplans „{plan_ref}“ ist bis zum Beginn der Umsetzung "
            "ein controllingfähiges Effizienzziel festzulegen."
        )
    return (
        "Ein controllingfähiges Effizienzziel und der zugrunde liegende Wirtschaftsplan sind "
        "bis zum Beginn der Umsetzung nachzureichen."
    )


def _accusative(bodies: list[Body]) -> str:
    """'die Städte Kamen und Bergkamen', 'den Kreis Unna', 'den IT-Arbeitskreis'."""
    if len(bodies) > 1 and all(b.kind == "municipality" and b.key not in GEMEINDEN for b in bodies):
        return "die Städte " + join([b.name for b in bodies])
    return join([_one(b) for b in bodies])


def _one(body: Body) -> str:
    if body.kind == "municipality":
        return f"die {'Gemeinde' if body.key in GEMEINDEN else 'Stadt'} {body.name}"
    if body.kind in ("county", "working_group"):
        # Kreis and Arbeitskreis (AK) are both masculine.
        return f"den {body.name}"
    if body.kind == "conference":
        return f"die {body.name}"
    # Organisations' grammatical gender is unknown: name them without an article.
    return body.name


def _nominative(body: Body) -> str:
    return f"der {body.name}" if body.kind == "county" else body.name


def join(parts: list[str]) -> str:
    """'A', 'A und B', 'A, B und C'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " und " + parts[-1]
