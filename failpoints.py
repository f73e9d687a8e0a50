"""Named crash points for fault-injection runs: IKZ_FAILPOINT=NAME kills the process there with SIGKILL.

Operators and the fault tests use them to prove that a crash at any step loses and doubles nothing;
unset (always, in normal operation) they cost one dictionary lookup.
"""

import os
import signal

VARIABLE = "IKZ_FAILPOINT"
POINTS = (
    "sweep:render",  # reminders computed, message being rendered, nothing committed
    "dispatch:after-claim",  # messages claimed (lease committed), nothing sent
    "dispatch:after-send",  # the server accepted the message, not yet marked sent
)


def hit(name: str) -> None:
    """Die here, at once and without cleanup, if this failpoint is armed."""
    if os.environ.get(VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
