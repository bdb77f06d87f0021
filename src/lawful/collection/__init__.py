"""Collection: how personal data enters lawful from an operator's forms — a submission links or
creates the subject, stores each value under its purpose and records each consent, in one
transaction, safely retried with an ``Idempotency-Key``."""
