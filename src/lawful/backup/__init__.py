"""Backups that keep erasure.

* :mod:`lawful.backup.ledger` — the erasure ledger: a small SQLite file *outside* the database
  (``LAWFUL_ERASURE_LEDGER``) listing every erased subject, written when the erasure commits;
  and :func:`~lawful.backup.ledger.reapply`, which erases again anyone a restored database
  still holds;
* :mod:`lawful.backup.service` — ``backup`` (a consistent online copy into one SQLite file, on
  either backend) and ``restore`` (which re-applies the ledger before anything else runs).

The package itself imports nothing, so that ``subjects.service`` can note erasures cheaply.
"""
