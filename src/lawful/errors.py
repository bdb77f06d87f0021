"""The one exception tree of lawful.

    LawfulError                     every error lawful raises on purpose
    ├── ConfigError                 lawful.yaml cannot be loaded or is incoherent
    │   └── ConfigInvalid           ... with every Problem (file:line:column) (lawful.config.loader)
    ├── LawBookError                a shipped law table is malformed (lawful.law.models)
    ├── PermanentJobError           a job that must not be retried (lawful.jobs)
    ├── MasterKeyError              the master key is missing, malformed or is not the right one
    ├── PolicyViolation             an action the policy does not allow (undeclared purpose, ...)
    │   ├── TransferRefused         the transfer gate refused a disclosure; names the condition
    │   └── SendRefused             an outgoing message refused by consent or objection
    ├── NotFound                    the thing asked for does not exist
    ├── NeedsDecision               the law table has no confirmed figure: a person must decide
    ├── StoreError                  the database is unreachable or its schema is not current
    │   └── BackupError             a backup cannot be written or restored (lawful.backup)
    ├── AuditChainBroken            the journal's hash chain does not verify
    ├── InvalidTransition           a request (or register entry) cannot take this step now
    ├── VerificationFailed          a wrong, expired or spent one-time code
    ├── LockedOut                   too many attempts or requests (``retry_after`` seconds)
    ├── Unauthorized                the operator's bearer token is missing or wrong
    ├── Gone                        a one-time link already used, or expired
    ├── MailError                   the SMTP server failed or refused the message
    └── ConnectorFailure            a downstream system failed; ``permanent`` says whether a
                                    retry can help or a person must act (lawful.connectors)

Each surface maps these once: the CLI to one line and an exit code (``lawful.cli``), the HTTP
API to RFC 9457 problem+json (``lawful.web.problems``). Messages never contain personal data:
callers pass field names and pseudonymous references, never values.
"""

from __future__ import annotations


class LawfulError(Exception):
    """Root of every error lawful raises on purpose."""

    #: Short machine-readable slug, used as the problem+json ``type`` suffix.
    code = "error"

    def __init__(
        self, message: str, *, field: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        #: A stable slug for what went wrong with ``field`` (``invalid-email``), so that a
        #: form can say it in the person's language; the message itself is English.
        self.reason = reason


class ConfigError(LawfulError):
    code = "config"


class MasterKeyError(LawfulError):
    code = "master-key"


class PolicyViolation(LawfulError):
    code = "policy-violation"


class TransferRefused(PolicyViolation):
    """The transfer gate said no. ``condition`` is a stable code naming what is missing
    (``recipient-undeclared``, ``no-cross-border-basis`` ... see ``lawful.transfers.gate``)."""

    code = "transfer-refused"

    def __init__(self, message: str, *, condition: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.condition = condition


class SendRefused(PolicyViolation):
    """An outgoing message may not be sent (lawful.intake.outgoing); ``reason`` is the
    eligibility code saying why (``refused:no-consent``, ``refused:objection`` ...)."""

    code = "send-refused"


class NotFound(LawfulError):
    code = "not-found"


class NeedsDecision(LawfulError):
    code = "needs-decision"


class StoreError(LawfulError):
    code = "store"


class BackupError(StoreError):
    code = "backup"


class AuditChainBroken(LawfulError):
    code = "audit-chain-broken"

    def __init__(self, message: str, *, seq: int) -> None:
        super().__init__(message)
        self.seq = seq


class InvalidTransition(LawfulError):
    """The action does not apply to the request in its current state (or is not allowed)."""

    code = "invalid-transition"


class VerificationFailed(LawfulError):
    """A wrong, expired or used one-time code."""

    code = "verification-failed"


class LockedOut(LawfulError):
    """Too many wrong codes, or too many requests: wait, then try again."""

    code = "locked-out"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class Unauthorized(LawfulError):
    """The operator's token is missing or wrong."""

    code = "unauthorized"


class Gone(LawfulError):
    """A one-time link already used, or expired."""

    code = "gone"


class MailError(LawfulError):
    """The SMTP server could not be reached or refused the message."""

    code = "mail"


class ConnectorFailure(LawfulError):
    """A connector's call failed. ``permanent=False``: temporary (network, 429, 5xx, a lock),
    retried with backoff; ``permanent=True``: a person must act (bad credentials, a missing
    table, a refusal). The message names the connector and the failure's class, never data."""

    code = "connector"

    def __init__(self, message: str, *, permanent: bool, connector: str = "") -> None:
        super().__init__(message, field="connectors")
        self.permanent = permanent
        self.connector = connector


class SmsError(MailError):
    """The SMS gateway could not be reached or refused the message (answered like mail)."""

    code = "sms"
