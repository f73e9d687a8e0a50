"""Named crash points for fault-injection runs: IKZ_FAILPOINT=NAME[@N] kills the process there with SIGKILL.

Operators and the fault tests use them to prove that a crash at any step loses and doubles nothing;
`@N` fires on the N-th pass (default: the first). Unset, as in normal operation, a check costs a lookup.
"""

import os
import re
import signal
from collections import Counter

from ikz.errors import ConfigError

VARIABLE = "IKZ_FAILPOINT"
POINTS = (
    "sweep:render",  # a recipient's reminders computed, message being rendered, not committed
    "dispatch:after-claim",  # messages claimed (lease committed), nothing sent
    "dispatch:after-send",  # the server accepted a message, not yet marked sent
    "intake:read",  # a reply read from the mailbox, nothing written
    "intake:before-commit",  # its notes and proposals written in the transaction, not committed
    "intake:after-commit",  # committed, the mail still in the mailbox
    "intake:after-move",  # moved to the done folder, the next mail not yet read
)
_passes: Counter = Counter()


def hit(name: str) -> None:
    """Die here, at once and without cleanup, if this failpoint is armed for this pass."""
    armed = os.environ.get(VARIABLE)
    if not armed:
        return
    point, _, nth = armed.partition("@")
    # Checked where it is read, like every number: a misspelt point or count would silently never fire.
    if point not in POINTS or not re.fullmatch(r"[1-9][0-9]{0,8}", nth or "1"):
        raise ConfigError(
            f"${VARIABLE}: {armed!r} ist nicht erlaubt; erlaubt: NAME oder NAME@N mit NAME aus {', '.join(POINTS)} "
            "und N von 1 bis 999999999."
        )
    if point != name:
        return
    _passes[name] += 1
    if _passes[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
