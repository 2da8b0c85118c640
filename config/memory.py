"""The garbage collector's settings for a process serving pages, set once after start-up."""

import gc

# Collect the young generation after this many new container objects rather than Python's default 700.
YOUNG_GENERATION_THRESHOLD = 20_000


def tune_garbage_collector() -> None:
    """Freeze what is alive now and collect the young generation less often.

    A full collection walks every live object, and after start-up most of them (modules, settings, URL patterns)
    live as long as the process. Freezing them, and collecting the young generation less often, keeps the pauses
    out of the pages that build many short-lived objects (the Positions table, the dashboard): bench/pages.py.
    config/wsgi.py calls this in each gunicorn worker; bench/positions_300.py calls it too, so it times what
    production runs.
    """
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, 10, 10)
