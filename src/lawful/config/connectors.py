"""The ``connectors:`` section of lawful.yaml: the downstream systems requests are carried into.

Each connector names its ``type`` (which implementation runs it), the declared ``recipient``
and ``purpose`` every call is logged under as a transfer, and where its secrets come from —
the *name* of an environment variable (read as ``NAME`` or from the file ``NAME_FILE``), never
the secret itself. The SQL connector's dataset is declared inline or imported from a Fides
dataset YAML (``fides_dataset:``, a path relative to lawful.yaml).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from lawful.config.models import Strict, _invalid

EraseStrategy = Literal["null", "mask", "hash", "keep"]
IdentityKind = Literal["email", "phone"]
EnvName = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]


class Column(Strict):
    """A personal column: its category and how erasure treats it."""

    category: str
    #: null: set NULL; mask: overwrite with ``mask_with``; hash: keyed hash of the value (keeps
    #: uniqueness, loses the value); keep: never changed (reported by access only).
    erase: EraseStrategy = "null"
    mask_with: str = "erased"


class Table(Strict):
    primary_key: str
    #: identity kind -> column that holds it (the tables a request starts from).
    identity: dict[IdentityKind, str] = Field(default_factory=dict)
    #: column -> "table.column" it refers to (orders.customer_id -> customers.id).
    references: dict[str, str] = Field(default_factory=dict)
    columns: dict[str, Column] = Field(default_factory=dict)
    #: update: apply each column's strategy; delete: delete the subject's rows outright.
    erase: Literal["update", "delete"] = "update"
    #: A boolean column set true to block and false to unblock (none: blocking is manual).
    block_column: str | None = None


class Dataset(Strict):
    tables: dict[str, Table] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> Dataset:
        for name, table in self.tables.items():
            for column, target in table.references.items():
                parent, _, parent_column = target.partition(".")
                if parent not in self.tables or not parent_column:
                    raise _invalid(
                        f"tables.{name}.references.{column} points at {target!r}, "
                        "which is not a declared table",
                        "write `<table>.<column>` of a table under `tables:`",
                    )
        if not any(t.identity for t in self.tables.values()):
            raise _invalid("no table names an identity column", "add `identity: {email: <column>}`")
        return self


class ConnectorBase(Strict):
    recipient: str
    purpose: str
    #: Seconds one call may take before it counts as a temporary failure.
    timeout: float = Field(default=30.0, gt=0, le=600)
    #: Attempts before a temporary failure is handed to a person.
    max_attempts: int = Field(default=5, ge=1, le=50)


class SqlConnector(ConnectorBase):
    type: Literal["sql"]
    #: Environment variable holding the SQLAlchemy URL (or ``<NAME>_FILE``).
    url_env: EnvName
    dataset: Dataset | None = None
    fides_dataset: str | None = None

    @model_validator(mode="after")
    def _one_dataset(self) -> SqlConnector:
        if (self.dataset is None) == (self.fides_dataset is None):
            raise _invalid(
                "an sql connector needs exactly one of dataset or fides_dataset",
                "declare `dataset: {tables: ...}` or `fides_dataset: <file>.yml`",
            )
        return self


class ManualConnector(ConnectorBase):
    """A system without an API for requests: each action becomes a task with instructions."""

    type: Literal["manual"]
    categories: list[str] = Field(min_length=1)
    instructions: str = Field(min_length=1)


class KommoConnector(ConnectorBase):
    """Kommo (amoCRM) API v4 with a long-lived token."""

    type: Literal["kommo"]
    #: The account's own host, e.g. https://example.kommo.com (never www).
    base_url: str = Field(pattern=r"^https?://[^/?#]+$")
    token_env: EnvName
    #: Kommo field_code -> category; EMAIL and PHONE identify the person.
    fields: dict[str, str] = Field(
        default_factory=lambda: {
            "EMAIL": "user.contact.email",
            "PHONE": "user.contact.phone_number",
        }
    )
    name_category: str = "user.name"
    notes_category: str = "user.content.private"
    block_tag: str = "DSR-BLOCKED"
    responsible_user_id: int | None = None
    #: Kommo allows 7 requests per second per integration.
    rate_per_second: float = Field(default=7.0, gt=0, le=7.0)
    #: Environment variable holding the secret of the ``delete_contact`` webhook URL.
    webhook_secret_env: EnvName | None = None


class WebhookConnector(ConnectorBase):
    """The operator's own service, called with signed JSON (:mod:`lawful.connectors.webhook`)."""

    type: Literal["webhook"]
    #: Where each call is POSTed (no secret in it: the signature authenticates).
    url: str = Field(pattern=r"^https?://[^?#]+$")
    #: Environment variable holding the HMAC-SHA256 key shared with the service.
    secret_env: EnvName
    categories: list[str] = Field(min_length=1)


class Ga4Connector(ConnectorBase):
    """Google Analytics 4 user deletion (Admin API), with an OAuth access token."""

    type: Literal["ga4"]
    property_id: str = Field(pattern=r"^[0-9]+$")
    #: Environment variable holding an access token with the analytics.edit scope.
    token_env: EnvName
    base_url: str = Field(
        default="https://analyticsadmin.googleapis.com", pattern=r"^https?://[^/?#]+$"
    )
    categories: list[str] = Field(min_length=1)


ConnectorDeclaration = Annotated[
    SqlConnector | ManualConnector | KommoConnector | WebhookConnector | Ga4Connector,
    Field(discriminator="type"),
]
