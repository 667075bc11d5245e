"""invoice2data as a library in a long-running process, for per_document's side-by-side timing.

Loads invoice2data's bundled templates once, then reads one PDF path per line on stdin and
answers one JSON line on stdout: {"seconds": <time of the extract_data call>, "result": {...}}.
The reader is `pdftotext` (poppler-utils), invoice2data's classic text backend; without a
matching template invoice2data returns {} (nothing extracted).
"""

import datetime
import json
import logging
import sys
import time

from invoice2data import extract_data
from invoice2data.extract.loader import read_templates
from invoice2data.input import _cached_to_text, pdftotext

logging.disable(logging.CRITICAL)


def plain(value):
    """JSON-able values: dates as ISO strings, everything else as is or as text."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return str(value)


def main():
    started = time.perf_counter()
    templates = read_templates()
    print(
        json.dumps(
            {"templates": len(templates), "load_seconds": time.perf_counter() - started}
        ),
        flush=True,
    )
    for line in sys.stdin:
        path = line.rstrip("\n")
        # invoice2data memoizes each file's text (128 files): a benchmark that repeats files
        # would time the cache, not the reading; every call reads its file afresh.
        _cached_to_text.cache_clear()
        started = time.perf_counter()
        error = None
        try:
            result = extract_data(path, templates=templates, input_module=pdftotext)
        except Exception as exception:  # a crash counts as nothing extracted, like {}
            result, error = {}, str(exception)
        seconds = time.perf_counter() - started
        answer = {"seconds": seconds, "result": plain(result or {}), "error": error}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
