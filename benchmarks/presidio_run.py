"""Run presidio-analyzer's pattern recognizers over the intake corpus; print JSON findings.

Runs under an interpreter that has presidio-analyzer (not a lawful dependency), and imports
nothing from lawful. ``bench_intake --presidio PYTHON`` calls it and scores the output::

    PYTHON benchmarks/presidio_run.py benchmarks/data/intake_corpus.jsonl

Set-up, from ../shared/research/pii.md: ``NoOpNlpEngine`` (no spaCy model, nothing to
download), phone regions of the operator (RU, KZ, VN) plus US and GB, tldextract's cache in a
temporary directory (it would otherwise try the network for its suffix list). The process is
pinned to one CPU, like lawful's run. Presidio's types are mapped onto lawful's; its other
types (US_SSN, US_DRIVER_LICENSE, ...) are reported under their own names, so they count as
found but never as true.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time

MAPPING = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CARD",
    "IP_ADDRESS": "IP",
}


def engine():  # type: ignore[no-untyped-def]
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "noop"}])
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    registry.remove_recognizer("PhoneRecognizer")
    registry.add_recognizer(PhoneRecognizer(supported_regions=["RU", "KZ", "VN", "US", "GB"]))
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def main() -> None:
    os.environ.setdefault("TLDEXTRACT_CACHE", tempfile.mkdtemp())
    logging.disable(logging.WARNING)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with open(sys.argv[1], encoding="utf-8") as corpus:
        texts = [json.loads(line)["text"] for line in corpus]
    analyzer = engine()
    analyzer.analyze("warm up, a@b.com", language="en")
    began = time.perf_counter()
    results = [analyzer.analyze(text, language="en") for text in texts]
    seconds = time.perf_counter() - began
    findings = [
        [[r.start, r.end, MAPPING.get(r.entity_type, r.entity_type)] for r in found]
        for found in results
    ]
    json.dump({"seconds": seconds, "findings": findings}, sys.stdout)


if __name__ == "__main__":
    main()
