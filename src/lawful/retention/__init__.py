"""Retention: each purpose's retention rule enforced by a sweep that anonymises or destroys
what has outlived its purpose, and documents it with one destruction act per run."""
