"""The errors a user can cause; the CLI turns each into one German line and exit code 1."""


class IkzError(Exception):
    """Base of every refusal or bad input reported to the user."""

    exit_code = 1


class NotFound(IkzError):
    """A mandate, body or meeting named by the user does not exist."""


class InvalidInput(IkzError):
    """A value given by the user is malformed or not allowed."""


class TransitionRefused(IkzError):
    """A lifecycle step is not possible now."""


class ConcurrentChange(IkzError):
    """Someone else changed the same record meanwhile."""


class CatalogueError(IkzError):
    """A catalogue file is malformed or inconsistent."""


class ConfigError(IkzError):
    """The configuration file or environment is malformed."""


class DatabaseUnavailable(IkzError):
    """The database server cannot be reached or dropped the connection."""


class DatabaseMissing(DatabaseUnavailable):
    """The database server answers, but has no database of the configured name."""


class NotReady(IkzError):
    """The database has not been set up (or is at another schema version)."""


class JobsFailed(IkzError):
    """A scheduler job ended in an error (`ikz scheduler run --once`); its log line says which and why."""


class UnknownMessage(NotFound):
    """An outbox ID given by the user does not exist."""


class RetryRefused(TransitionRefused):
    """Only failed messages can be put back into the queue."""


class RestoreRefused(IkzError):
    """A backup cannot be restored: not a backup, another schema revision, or a database that is not empty."""


class TamperedLog(IkzError):
    """The audit log's hash chain is broken, or a mandate's data no longer matches its history."""


class MailboxUnavailable(IkzError):
    """The mailbox that replies arrive in cannot be reached or refuses the login."""


class AccessDenied(IkzError):
    """The portal refuses: not signed in, a link that expired or was revoked, or an action outside one's role."""


class TooManyAttempts(IkzError):
    """Too many failed logins for one name or address in a short time."""
