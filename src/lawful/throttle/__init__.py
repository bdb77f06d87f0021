"""Marks that limit guessing and end sessions early, shared by every server process."""
