"""What every benchmark shares: Django set up on DATABASE_URL, timing, peak memory, a table
printer and the RESULT line.

A benchmark prints a table and ends with one line per figure (DESIGN.md):

    RESULT <name> seconds=<t> floor_seconds=<f> ratio=<t/f> peak_mb=<m> [<key>=<value> ...]
"""

import os
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_django() -> None:
    """Benchmarks run on a PostgreSQL server named by DATABASE_URL, never the embedded one."""
    if not os.environ.get("DATABASE_URL"):
        sys.exit(
            "Set DATABASE_URL to the PostgreSQL database to benchmark on, "
            "e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench (create it first with createdb)."
        )
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealerops.settings.local")
    import django

    django.setup()


def last_sale_and_complete_month():
    """The day of the dataset's last sale and the first day of the last complete month before
    it (the month the benchmarks score); exits when the database holds no sales."""
    from django.db.models import Max

    from inventory.models import Sale

    last_sale = Sale.objects.aggregate(last=Max("sold_on"))["last"]
    if last_sale is None:
        sys.exit("No sales here: run bench/generate.py --scale S on this database first.")
    return last_sale, (last_sale.replace(day=1) - timedelta(days=1)).replace(day=1)


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed() -> Iterator[dict]:
    """``with timed() as run: ...`` then ``run["seconds"]`` is the wall-clock time it took."""
    result: dict = {}
    started = time.perf_counter()
    yield result
    result["seconds"] = time.perf_counter() - started


def result_line(name: str, seconds: float, floor_seconds: float | None = None, **extra) -> str:
    """The RESULT line; ``extra`` figures (row counts, scale ...) follow as key=value."""
    parts = [f"RESULT {name}", f"seconds={seconds:.2f}"]
    if floor_seconds is not None:
        parts += [f"floor_seconds={floor_seconds:.2f}", f"ratio={seconds / floor_seconds:.2f}"]
    parts.append(f"peak_mb={peak_mb():.0f}")
    parts += [f"{key}={value}" for key, value in extra.items()]
    return " ".join(parts)


def print_table(rows: Sequence[tuple], headers: tuple) -> None:
    """A plain-text table: the first column left-aligned, the figures right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    for row in (headers, *rows):
        first, *others = (str(cell) for cell in row)
        cells = [first.ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(others, widths[1:], strict=True)]
        print("  ".join(cells))
