"""Controlling: savings targets against realised savings, per mandate and for the programme."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session, select

from ikz.errors import InvalidInput
from models import Mandate, Saving
from workflow import lifecycle
from workflow.checks import MAX_EUR
from workflow.codes import code_key
from workflow.lookup import get_mandate
from workflow.seam import record, started
from workflow.text import format_eur

PROGRAMME_GOAL = 2_000_000
LIGHTS = {"on_track": "im Plan", "behind": "hinter Plan", "no_data": "keine Daten"}
# Savings can only be realised once the conference has approved the cooperation.
SAVING_STATES = ("implement", "control", "closed")


def record_saving(
    session: Session, code: str, year: int, amount: int, *, actor: str, now: datetime, today: date, channel: str = "CLI"
) -> Saving:
    """Record (or correct) the savings a mandate realised in one year; negative when it cost more than it saved."""
    mandate = get_mandate(session, code)
    if mandate.state not in SAVING_STATES and not (mandate.state == "on_hold" and mandate.held_state in SAVING_STATES):
        raise InvalidInput(
            f"Einsparungen werden erst nach der Zustimmung erfasst; "
            f"{mandate.code} ist im Zustand {lifecycle.STATES[mandate.state]}."
        )
    first = started(mandate).year
    if not first <= year <= today.year:
        raise InvalidInput(f"Ungültiges Jahr {year} für {mandate.code}; erlaubt: {first} bis {today.year}.")
    # Negative is allowed: a year in which the cooperation cost more than it saved. Targets are never negative.
    if not -MAX_EUR <= amount <= MAX_EUR:
        raise InvalidInput(
            f"Der Betrag {format_eur(amount)} liegt außerhalb von {format_eur(-MAX_EUR)} bis {format_eur(MAX_EUR)}."
        )
    row = session.exec(select(Saving).where(Saving.mandate_id == mandate.id, Saving.year == year)).first()
    before = row.amount if row else None
    if row is None:
        row = Saving(mandate_id=mandate.id, year=year, amount=amount, recorded_at=now, actor=actor)
    else:
        row.amount, row.recorded_at, row.actor = amount, now, actor
    session.add(row)
    change = f"{format_eur(before)} → {format_eur(amount)}" if before is not None else format_eur(amount)
    record(session, mandate, "savings", actor=actor, now=now, note=f"Einsparung {year}: {change}", channel=channel)
    return row


def share(part: int, whole: int) -> float:
    """Percentage with one decimal, rounded half up as people expect (2,05 % → 2,1 %)."""
    # Adding 0.0 turns the -0.0 of a tiny negative part (negative savings) into 0.0.
    return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)) + 0.0


def light(target: int | None, realised: int | None) -> str:
    """Traffic light: on track when the latest year's savings reach the target."""
    if not target or realised is None:
        return "no_data"
    return "on_track" if realised >= target else "behind"


def controlling_report(session: Session) -> dict:
    """Targets, realised savings and traffic lights per mandate, and the programme total against 2 Mio €."""
    savings: dict[int, dict[str, int]] = {}
    for mandate_id, year, amount in session.exec(select(Saving.mandate_id, Saving.year, Saving.amount)).all():
        savings.setdefault(mandate_id, {})[str(year)] = amount
    columns = (Mandate.id, Mandate.code, Mandate.title, Mandate.state, Mandate.savings_target)
    return report_from(
        {"code": code, "title": title, "state": state, "target": target, "savings": savings.get(mandate_id, {})}
        for mandate_id, code, title, state, target in session.exec(select(*columns)).all()
    )


def report_from(views) -> dict:
    """The controlling report over mandate views ({code, title, state, target, savings}): live or as of a day."""
    rows = []
    for view in sorted(views, key=lambda v: code_key(v["code"])):
        years = {int(year): amount for year, amount in view["savings"].items()}
        if view["state"] in ("rejected", "withdrawn") or (view["target"] is None and not years):
            continue
        latest_year = max(years) if years else None
        realised = years[latest_year] if years else None
        status = light(view["target"], realised)
        rows.append(
            {
                "code": view["code"],
                "title": view["title"],
                "state": view["state"],
                "state_label": lifecycle.STATES[view["state"]],
                "savings_target": view["target"],
                "savings": {str(y): years[y] for y in sorted(years)},
                "latest_year": latest_year,
                "realised": realised,
                "light": status,
                "light_label": LIGHTS[status],
            }
        )
    target_total = sum(r["savings_target"] or 0 for r in rows)
    realised_total = sum(r["realised"] or 0 for r in rows)
    return {
        "goal": PROGRAMME_GOAL,
        "target_total": target_total,
        "target_share": share(target_total, PROGRAMME_GOAL),
        "realised_total": realised_total,
        "realised_share": share(realised_total, PROGRAMME_GOAL),
        "lights": {key: sum(1 for r in rows if r["light"] == key) for key in LIGHTS},
        "mandates": rows,
    }
