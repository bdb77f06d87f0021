"""Performance benchmarks for lawful (not part of the installed package)."""
