"""lawful: an operator's privacy policy, true by construction.

The package is organised one module per concept (see DESIGN.md in the project's shared notes):
``config`` (lawful.yaml), ``law`` (jurisdiction rules), ``store`` (schema and database),
``crypto`` (envelope encryption, blind indexes), ``audit`` (hash-chained journal),
``subjects`` (the domain API every later part uses), ``jobs`` (durable work), and the thin
adapters ``cli`` and ``web``.
"""

__version__ = "0.1.0"
