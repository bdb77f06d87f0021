"""natasha's NER tagger, loaded once per process (about 1.5 s: the models ship in its wheel,
nothing is downloaded). natasha is the optional ``lawful[ner]`` extra."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def tagger() -> Any:
    """The ``NewsNERTagger``; raises ImportError when the ``ner`` extra is not installed."""
    from natasha import NewsEmbedding, NewsNERTagger

    return NewsNERTagger(NewsEmbedding())


def available() -> bool:
    try:
        import natasha  # noqa: F401
    except ImportError:
        return False
    return True
