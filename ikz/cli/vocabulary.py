"""Help that ends with the German words a command accepts, read from the core only when the help is shown."""

import click


class Worded(click.Command):
    """A command whose --help lists the words of a vocabulary (states, steps or decisions) with their aliases."""

    def __init__(self, *args, words: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.words = words

    def format_epilog(self, ctx, formatter):
        super().format_epilog(ctx, formatter)
        # Here, not at the top: the words live in the core, and `ikz --help` must not import it.
        from workflow import words

        title, vocabulary = {
            "states": ("Zustände", words.STATES),
            "steps": ("Schritte", words.TRIGGERS),
            "decisions": ("Entscheidungen", words.DECISIONS),
        }[self.words]
        with formatter.section(f"{title}: der Bezeichner oder eines der Wörter (Groß-/Kleinschreibung, ä/ae egal)"):
            formatter.write_dl([(name, ", ".join(vocabulary.words_for(name))) for name in vocabulary.labels])
