"""Help that ends with the German words a command accepts, read from the core only when the help is shown."""

import click


class Worded(click.Command):
    """A command whose --help lists the words of a vocabulary (states, steps or decisions) with their aliases."""

    def __init__(self, *args, words: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.words = words

    def format_epilog(self, ctx, formatter):
        super().format_epilog(ctx, formatter)
        title, labels, aliases = _vocabulary(self.words)
        with formatter.section(f"{title}: der Bezeichner oder eines der Wörter (Groß-/Kleinschreibung, ä/ae egal)"):
            formatter.write_dl([(name, ", ".join([label, *aliases.get(name, ())])) for name, label in labels.items()])


def _vocabulary(kind: str):
    # Read the tables here, not at the top: `ikz --help` must not import the core. States and steps come
    # from the machine alone (no database layer), so `ikz list --help` and `ikz advance --help` stay fast.
    if kind == "decisions":
        from models.body_decisions import BODY_DECISIONS, DECISION_ALIASES

        return "Entscheidungen", BODY_DECISIONS, DECISION_ALIASES
    from workflow import lifecycle

    if kind == "states":
        return "Zustände", lifecycle.STATES, lifecycle.STATE_ALIASES
    return "Schritte", lifecycle.TRIGGERS, lifecycle.TRIGGER_ALIASES
