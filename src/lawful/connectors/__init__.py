"""Connectors: the systems where the subjects' data also live (SQL databases, manual tasks).

``contract`` is the interface, ``registry`` builds connectors from lawful.yaml, ``sql`` /
``manual`` / ``fides`` are the built-in implementations and import, ``orchestration`` carries a
data-subject request into every connector through the job system (``jobs``).
"""
