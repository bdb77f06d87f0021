"""The transfer gate: every disclosure of personal data to a recipient passes through it.

* :mod:`lawful.transfers.gate` — per-policy decision tables and the pure decision (fast);
* :mod:`lawful.transfers.service` — the gate over the store: reads the subject's state,
  decides, logs each allowed transfer and journals it; a person's transfer history;
* :mod:`lawful.transfers.models` — the ``transfers`` log (ids and names, no personal data).

The package itself imports nothing, so that loading the models (migrations) stays light.
"""
