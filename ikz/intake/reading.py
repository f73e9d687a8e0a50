"""What a person wrote above the quote: quotes and signatures stripped, paragraphs per mandate, commands found."""

import re
from dataclasses import dataclass, field
from datetime import date

from mailparser_reply import EmailReplyParser

# Lines that start the quoted original in clients that the reply parser does not know.
QUOTE_START = re.compile(
    r"^\s*(-{2,}\s*(ursprüngliche nachricht|original message|weitergeleitete nachricht)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)
# A salutation line: the greeting word, perhaps a name, and the comma (or nothing) after it.
GREETING = re.compile(
    r"^(hallo|guten (tag|morgen|abend)|sehr geehrte[rs]?|liebe[rs]?|moin|hi)\b[^\n,.!?]{0,60}[,!]?$", re.IGNORECASE
)
DONE = re.compile(r"^(?:ist\s+)?erledigt\s*[.!]?\s*(?:[-–—:]\s*(?P<text>.*))?$", re.IGNORECASE)
DEADLINE = re.compile(
    r"^neue\s+frist\s*:?\s*(?P<day>\d{1,2})\.\s?(?P<month>\d{1,2})\.\s?(?P<year>\d{4}|\d{2})\b\s*[.,]?"
    r"\s*(?:[-–—:,]\s*)?(?P<text>.*)$",
    re.IGNORECASE,
)
STATUS = re.compile(r"^stand\s*:\s*(?P<text>.+)$", re.IGNORECASE)


@dataclass
class Command:
    """A line that asks for something: a proposal of kind done, deadline or status."""

    kind: str
    line: str
    text: str = ""
    due_date: date | None = None
    problem: str | None = None


@dataclass
class Part:
    """What a reply says about one mandate: its commands and the rest as a note."""

    commands: list[Command] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        return "\n".join(self.lines).strip()


def latest(text: str) -> str:
    """The newest part of a reply: above the quoted original, without greeting lines and signature."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for line in text.split("\n"):
        if QUOTE_START.match(line):
            break
        kept.append(line)
    replies = EmailReplyParser(languages=["de", "en"]).read("\n".join(kept)).replies
    # The parser skips an empty first part: a first part with a header is the quote, so nothing was written.
    top = replies[0].body if replies and not replies[0].headers else ""
    lines = [line for line in top.split("\n") if not line.lstrip().startswith(">")]
    while lines and (not lines[0].strip() or GREETING.match(lines[0].strip())):
        lines.pop(0)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def split(text: str, codes: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Split a reply into the lines before any mandate number and the paragraphs per mandate.

    A paragraph for a mandate starts with a line "1.4: …", "1.4 – …" or just "1.4" (codes of the message only).
    """
    wanted = {code.casefold(): code for code in codes}
    pattern = re.compile(r"^(?:mandat\s+)?(?P<code>\S+?)\s*(?:[:–—-]\s*(?P<rest>.*))?$", re.IGNORECASE)
    preamble: list[str] = []
    parts: dict[str, list[str]] = {}
    current: list[str] = preamble
    for line in text.split("\n"):
        match = pattern.match(line.strip())
        if match and match["code"].rstrip(":").casefold() in wanted:
            current = parts.setdefault(wanted[match["code"].rstrip(":").casefold()], [])
            if match["rest"]:
                current.append(match["rest"])
            continue
        current.append(line)
    return preamble, parts


def read_part(lines: list[str], today: date) -> Part:
    """Find the commands in one mandate's lines; everything else stays the note."""
    part = Part()
    for line in lines:
        stripped = line.strip()
        command = _command(stripped, today)
        if command:
            part.commands.append(command)
        else:
            part.lines.append(line)
    return part


def _command(line: str, today: date) -> Command | None:
    if match := DONE.match(line):
        return Command("done", line, (match["text"] or "").strip())
    if match := DEADLINE.match(line):
        year = int(match["year"])
        year += 2000 if year < 100 else 0
        try:
            due = date(year, int(match["month"]), int(match["day"]))
        except ValueError:
            return Command("deadline", line, problem="kein gültiges Datum")
        return Command("deadline", line, match["text"].strip(), due)
    if match := STATUS.match(line):
        return Command("status", line, match["text"].strip())
    if line.casefold().startswith("neue frist"):
        return Command("deadline", line, problem="Datum fehlt oder ist nicht als TT.MM.JJJJ geschrieben")
    return None
