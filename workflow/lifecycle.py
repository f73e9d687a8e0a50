"""The mandate lifecycle: states, triggers and guards, declared once for all mandates."""

from transitions import Machine

STATES = {
    "examine": "Prüfung",
    "propose": "Konzepterstellung",
    "present": "Vorlage an die Bürgermeisterkonferenz",
    "decide": "Entscheidung",
    "implement": "Umsetzung",
    "control": "Controlling",
    "on_hold": "Auf Eis",
    "closed": "Abgeschlossen",
    "rejected": "Abgelehnt",
    "withdrawn": "Zurückgezogen",
}

# What the leads must deliver to finish each stage, as reminders say it.
STAGE_WORK = {
    "examine": "Prüfergebnis vorlegen: ob und wie die Zusammenarbeit sinnvoll ist",
    "propose": "Konzept mit Kosten- und Zeitplan und Wirtschaftsplan vorlegen",
    # Once submitted, the submission deadline is the coordinator's: the papers go out with the agenda.
    "present": "Tagesordnung mit den Beschlussvorlagen an die Bürgermeisterkonferenz ausgeben (Vorlagefrist)",
    "decide": "Entscheidung der Bürgermeisterkonferenz festhalten",
    "implement": "Umsetzung abschließen und der Bürgermeisterkonferenz berichten",
    "control": "Bericht an die Bürgermeisterkonferenz: realisierte Einsparungen gegenüber dem Effizienzziel",
    "on_hold": "Wiedervorlage: prüfen, ob das ruhende Mandat wieder aufgenommen werden kann",
}

# Stages in which a mandate is being worked on (and can be held or withdrawn).
ACTIVE = ("examine", "propose", "present", "decide", "implement", "control")
# A dependency counts as decided once the conference has said yes or no.
DECIDED = ("implement", "control", "closed", "rejected")
FINAL = ("closed", "rejected", "withdrawn")
# Stages whose deadline is chased after it passes. The present stage is due at the submission
# deadline (Vorlagefrist); after it the paper is in and the stage waits for the meeting itself.
CHASED = ("examine", "propose", "decide", "implement", "control")

TRIGGERS = {
    "start_concept": "Konzepterstellung beginnen",
    "submit": "der Bürgermeisterkonferenz vorlegen",
    "open_decision": "Entscheidung eröffnen",
    "approve": "zustimmen",
    "reject": "ablehnen",
    "refer_back": "zurückverweisen",
    "start_control": "Controlling beginnen",
    "close": "abschließen",
    "hold": "auf Eis legen",
    "resume": "wieder aufnehmen",
    "withdraw": "zurückziehen",
}

# What users may type besides the identifier and the label above, for states and steps alike
# (case, umlauts or ae/oe/ue, spaces, - and _ do not matter: workflow/words.py resolves them).
# Each word means one thing only; the README's table and `ikz advance --help` show these.
STATE_ALIASES = {
    "examine": ("prüfen", "in Prüfung"),
    "propose": ("Konzept", "in Konzepterstellung"),
    "present": ("Vorlage", "vorgelegt", "Vorlage BMK"),
    "decide": ("in Entscheidung", "zur Entscheidung"),
    "implement": ("in Umsetzung", "umsetzen"),
    "control": ("im Controlling",),
    "on_hold": ("ruhend", "ruht", "auf Eis gelegt", "pausiert"),
    "closed": ("erledigt", "beendet"),
    "rejected": (),
    "withdrawn": (),
}
TRIGGER_ALIASES = {
    "start_concept": ("Konzept beginnen", "Konzept erarbeiten"),
    "submit": ("vorlegen", "einreichen"),
    "open_decision": ("eröffnen", "zur Entscheidung stellen"),
    "approve": ("genehmigen", "annehmen", "Zustimmung"),
    "reject": ("Ablehnung",),
    "refer_back": ("zurückgeben", "überarbeiten"),
    "start_control": ("Controlling starten",),
    "close": ("schließen", "beenden"),
    "hold": ("ruhen", "ruhen lassen", "pausieren", "anhalten"),
    "resume": ("fortsetzen", "wiederaufnehmen", "weitermachen"),
    "withdraw": (),
}


class HeldIn:
    """Guard for resume: true when the mandate was put on hold from this state."""

    def __init__(self, state: str):
        self.state = state

    def __call__(self, event) -> bool:
        return event.model.held_state == self.state


TRANSITIONS = [
    {"trigger": "start_concept", "source": "examine", "dest": "propose"},
    {
        "trigger": "submit",
        "source": "propose",
        "dest": "present",
        "conditions": ["meeting_upcoming", "concept_set", "plan_set", "target_set"],
    },
    {"trigger": "open_decision", "source": "present", "dest": "decide", "conditions": ["meeting_reached"]},
    {
        "trigger": "approve",
        "source": "decide",
        "dest": "implement",
        "conditions": ["dependencies_decided", "body_joined"],
    },
    {"trigger": "reject", "source": "decide", "dest": "rejected", "conditions": ["note_given"]},
    {"trigger": "refer_back", "source": ["present", "decide"], "dest": "propose", "conditions": ["note_given"]},
    {"trigger": "start_control", "source": "implement", "dest": "control", "conditions": ["target_set"]},
    {"trigger": "close", "source": "control", "dest": "closed"},
    {"trigger": "hold", "source": list(ACTIVE), "dest": "on_hold", "conditions": ["reason_given"]},
    *({"trigger": "resume", "source": "on_hold", "dest": state, "conditions": [HeldIn(state)]} for state in ACTIVE),
    {"trigger": "withdraw", "source": [*ACTIVE, "on_hold"], "dest": "withdrawn", "conditions": ["reason_given"]},
]

# One machine for every mandate: it holds no models; each step passes its own
# (see LIBRARIES.md: one machine per row is slow and pydantic rows refuse its attributes).
MACHINE = Machine(
    model=None,
    states=list(STATES),
    transitions=TRANSITIONS,
    initial=None,
    model_attribute="state",
    auto_transitions=False,
    send_event=True,
)


def triggers_from(state: str) -> list[str]:
    """Return the triggers the lifecycle offers from a state, in declaration order."""
    return [name for name in TRIGGERS if MACHINE.get_transitions(name, source=state)]


def guard_names(trigger: str, state: str) -> list[str]:
    """Return the named guards of a trigger from a state, in declaration order."""
    names: list[str] = []
    for transition in MACHINE.get_transitions(trigger, source=state):
        for condition in transition.conditions:
            if isinstance(condition.func, str) and condition.func not in names:
                names.append(condition.func)
    return names


def mermaid() -> str:
    """Render the lifecycle as a Mermaid state diagram with German labels."""
    lines = ["stateDiagram-v2"]
    lines += [f'    state "{label}" as {name}' for name, label in STATES.items()]
    initial = {"examine", "propose", "implement"}
    lines += [f"    [*] --> {name}" for name in STATES if name in initial]
    for trigger, label in TRIGGERS.items():
        for transition in _transitions_of(trigger):
            lines.append(f"    {transition.source} --> {transition.dest}: {label}")
    lines += [f"    {name} --> [*]" for name in FINAL]
    return "\n".join(lines) + "\n"


def _transitions_of(trigger: str):
    for transitions in MACHINE.events[trigger].transitions.values():
        yield from transitions
