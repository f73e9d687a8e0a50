"""The words users type for states, steps and body decisions, resolved to identifiers in one place.

Each accepts its identifier (`approve`), its German label (`zustimmen`) or a short alias (`genehmigen`),
whatever the case, with umlauts or ae/oe/ue, and with spaces, - or _ alike. A near miss is answered with
"Meinten Sie …?". The CLI, the portal and the mail intake resolve through these, never by hand.
"""

import difflib
import re
from collections.abc import Iterable

from ikz.errors import InvalidInput
from models import BODY_DECISIONS, DECISION_ALIASES
from workflow import lifecycle

_SPELLINGS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"))


def normalised(text: str) -> str:
    """Fold a typed word for comparing: lower case, ä as ae (and so on), ß as ss, spaces, - and _ as one space."""
    folded = text.strip().casefold()
    for umlaut, spelled in _SPELLINGS:
        folded = folded.replace(umlaut, spelled)
    return re.sub(r"[\s_-]+", " ", folded)


def near(text: str, candidates: Iterable[str], limit: int = 3, cutoff: float = 0.75) -> list[str]:
    """The candidates that look most like the text (compared folded), best first, at most `limit`."""
    by_form: dict[str, str] = {}
    for candidate in candidates:
        by_form.setdefault(normalised(candidate), candidate)
    matches = difflib.get_close_matches(normalised(text), list(by_form), n=limit, cutoff=cutoff)
    return [by_form[match] for match in matches]


def either(words: list[str]) -> str:
    """'a', 'a oder b', 'a, b oder c'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} oder {words[-1]}"


def did_you_mean(words: list[str]) -> str:
    """' Meinten Sie a oder b?' for a message, or '' when there is nothing to suggest."""
    return f" Meinten Sie {either(words)}?" if words else ""


class Vocabulary:
    """The identifiers of one kind (states, steps, decisions) with the words that name them."""

    def __init__(self, unknown: str, labels: dict[str, str], aliases: dict[str, tuple[str, ...]]):
        self.unknown, self.labels, self.aliases = unknown, labels, aliases
        self._meaning: dict[str, str] = {}
        self._spelled: dict[str, str] = {}
        for identifier, label in labels.items():
            for word in (identifier, label, *aliases.get(identifier, ())):
                form = normalised(word)
                meant = self._meaning.setdefault(form, identifier)
                # A word that named two things would silently pick one: refuse such a table at import.
                if meant != identifier:
                    raise ValueError(f"{word!r} would mean both {meant!r} and {identifier!r}")
                self._spelled.setdefault(form, word)

    def words_for(self, identifier: str) -> list[str]:
        """The German words for an identifier: its label first, then its aliases."""
        return [self.labels[identifier], *self.aliases.get(identifier, ())]

    def shown(self, identifier: str) -> str:
        """'approve (zustimmen)': how a message names an identifier."""
        return f"{identifier} ({self.labels[identifier]})"

    def resolve(self, text: str, *, allowed: str | None = None) -> str:
        """Return the identifier a word means, or refuse with near misses and what is possible (`allowed`)."""
        identifier = self._meaning.get(normalised(text))
        if identifier is not None:
            return identifier
        suggestions: list[str] = []
        seen: set[str] = set()
        # A loose match (below 0.75) among dozens of short words would suggest unrelated ones.
        for form in difflib.get_close_matches(normalised(text), list(self._meaning), n=6, cutoff=0.75):
            meant = self._meaning[form]
            if meant in seen:
                continue
            seen.add(meant)
            spelled = self._spelled[form]
            suggestions.append(self.shown(meant) if spelled == meant else f"{spelled} ({meant})")
        if allowed is None:
            allowed = f"Möglich: {', '.join(self.shown(identifier) for identifier in self.labels)}."
        raise InvalidInput(f"{self.unknown} {text!r}.{did_you_mean(suggestions[:3])} {allowed}")


STATES = Vocabulary("Unbekannter Zustand", lifecycle.STATES, lifecycle.STATE_ALIASES)
TRIGGERS = Vocabulary("Unbekannter Schritt", lifecycle.TRIGGERS, lifecycle.TRIGGER_ALIASES)
DECISIONS = Vocabulary("Unbekannte Entscheidung", BODY_DECISIONS, DECISION_ALIASES)


def state(text: str) -> str:
    """The state a word means (examine, Prüfung, prüfen, …)."""
    return STATES.resolve(text)


def trigger(text: str, *, state: str | None = None) -> str:
    """The step a word means (approve, zustimmen, genehmigen, …); an unknown one lists what `state` allows."""
    allowed = None
    if state is not None:
        steps = lifecycle.triggers_from(state)
        label = lifecycle.STATES[state]
        allowed = (
            f"Im Zustand {label} möglich: {', '.join(TRIGGERS.shown(step) for step in steps)}."
            if steps
            else f"Im Zustand {label} ist kein Schritt mehr möglich."
        )
    return TRIGGERS.resolve(text, allowed=allowed)


def decision(text: str) -> str:
    """The body decision a word means (joined, beigetreten, ja, …)."""
    return DECISIONS.resolve(text)
