"""Registers and dossiers a regulator asks for, generated from lawful.yaml and the store.

* :mod:`lawful.registers.output` — Markdown to HTML and PDF, the config version stamp, the
  Jinja2 environment shared with :mod:`lawful.incidents.notify`;
* :mod:`lawful.registers.service` — the record of processing activities (GDPR Art. 30) as
  HTML, CSV and PDF; the Roskomnadzor notifications about processing (152-FZ Art. 22) and about
  cross-border transfer (Art. 12); Vietnam's processing (DPIA) and transfer (TIA) impact
  assessment dossiers.

Each document states the version (SHA-256) of the configuration it was made from.
"""
