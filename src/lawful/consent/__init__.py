"""Consent: records bound to the exact document version shown, receipts, withdrawal and
eligibility checks (one subject, or a million identifiers at once).

* :mod:`lawful.consent.models` — ``consent_records`` (ISO/IEC TS 27560 fields) and
  ``consent_events`` (the history of every change of state);
* :mod:`lawful.consent.service` — give, refuse, withdraw, accept the user agreement, check;
* :mod:`lawful.consent.eligibility` — the answers and the fast bulk path;
* :mod:`lawful.consent.receipts` — Kantara KI-CR-v1.1.0 and DPV-27560 JSON-LD receipts,
  with the JSON Schemas they are validated against in ``schemas/``;
* :mod:`lawful.consent.jobs` — destruction of a purpose's values after withdrawal.

The package itself imports nothing, so that loading the models (migrations) does not pull
in the services.
"""
