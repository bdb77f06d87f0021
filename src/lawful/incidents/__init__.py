"""The incident register: personal-data breaches, their statutory deadlines and notices.

* :mod:`lawful.incidents.models` — ``incidents`` and ``incident_notices``;
* :mod:`lawful.incidents.service` — register, list, deadlines (countdowns), record a notice;
* :mod:`lawful.incidents.notify` — the draft notification to each authority (Markdown, HTML, PDF);
* :mod:`lawful.incidents.watch` — warnings about deadlines near, past or undecided;
* :mod:`lawful.incidents.jobs` — the worker's periodic job that runs them.

The package itself imports nothing, so that loading the models (migrations) stays light.
"""
