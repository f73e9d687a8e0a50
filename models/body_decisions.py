"""What a body can decide on joining a mandate, and the words users may type for it (no table: cheap to import)."""

BODY_DECISIONS = {"joined": "beigetreten", "declined": "abgelehnt", "pending": "offen"}
# What users may type besides the identifier and the label (resolved in workflow/words.py, shown in the README).
DECISION_ALIASES = {
    "joined": ("beitreten", "Beitritt", "ja"),
    "declined": ("ablehnen", "Ablehnung", "nein"),
    "pending": ("ausstehend", "unentschieden"),
}
