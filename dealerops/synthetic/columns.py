"""numpy columns -> PostgreSQL COPY text, without a Python loop over rows.

Every helper turns an array into a fixed- or variable-width bytes array (numpy ``S`` dtype);
``copy_chunks`` glues the columns of a chunk into tab-separated lines and streams them with
``COPY ... FROM STDIN``. Numbers are written zero-padded ("000123", "0000188000.00"), which
PostgreSQL reads like any other integer or numeric.

Dates and times are day and second counts since 1970-01-01 on the Shanghai wall clock.
"""

import itertools
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

NULL = b"\\N"
TEXT_ROWS = 100_000
# numpy scalars, not Python ints: an int32 day count times these is computed in int64.
SECONDS_PER_DAY = np.int64(86_400)
EPOCH = np.datetime64("1970-01-01", "D")


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded ASCII of ``width`` characters."""
    remaining = np.asarray(values, dtype=np.int64).copy()
    out = np.empty((len(remaining), width), dtype=np.uint8)
    for position in range(width - 1, -1, -1):
        out[:, position] = 48 + remaining % 10
        remaining //= 10
    return out.view(f"S{width}").ravel()


def integers(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.int64)
    return digits(values, len(str(int(values.max()))) if len(values) else 1)


def money(fen: np.ndarray) -> np.ndarray:
    """Integer fen -> "0000188000.00" (exact: money never passes through a float)."""
    fen = np.asarray(fen, dtype=np.int64)
    return join(digits(fen // 100, 10), b".", digits(fen % 100, 2))


def rate(millionths: np.ndarray) -> np.ndarray:
    """Integer millionths of one -> "0.049500"."""
    return join(b"0.", digits(millionths, 6))


def coordinate(degrees: np.ndarray) -> np.ndarray:
    """Positive degrees (all of China) with six decimals."""
    micro = np.round(np.asarray(degrees) * 1_000_000).astype(np.int64)
    return join(digits(micro // 1_000_000, 3), b".", digits(micro % 1_000_000, 6))


def dates(days: np.ndarray) -> np.ndarray:
    """Day numbers -> "YYYY-MM-DD", through a table of the few thousand distinct days."""
    days = np.asarray(days, dtype=np.int64)
    if len(days) == 0:
        return np.array([], dtype="S10")
    first = int(days.min())
    calendar = np.datetime_as_string(EPOCH + np.arange(first, int(days.max()) + 1), unit="D").astype("S10")
    return calendar[days - first]


def timestamps(seconds: np.ndarray) -> np.ndarray:
    """Seconds on the Shanghai wall clock -> "YYYY-MM-DD HH:MM:SS+08"."""
    seconds = np.asarray(seconds, dtype=np.int64)
    of_day = seconds % SECONDS_PER_DAY
    clock = join(digits(of_day // 3600, 2), b":", digits(of_day // 60 % 60, 2), b":", digits(of_day % 60, 2))
    return join(dates(seconds // SECONDS_PER_DAY), b" ", clock, b"+08")


def words(vocabulary: Sequence[str], index: np.ndarray) -> np.ndarray:
    """``vocabulary[index]`` as UTF-8 bytes (no tabs, newlines or backslashes in the words)."""
    return np.array([word.encode() for word in vocabulary])[index]


def flags(values: np.ndarray) -> np.ndarray:
    return np.where(values, b"t", b"f")


def nullable(column: np.ndarray, present: np.ndarray) -> np.ndarray:
    """``column`` where ``present``, NULL elsewhere."""
    return np.where(present, column, NULL)


def join(*parts: np.ndarray | bytes) -> np.ndarray:
    """Element-wise concatenation of bytes arrays (and constant bytes)."""
    result = parts[0]
    for part in parts[1:]:
        result = np.strings.add(result, part)
    return result


def copy_text(columns: Sequence[np.ndarray]) -> bytes:
    """One chunk of rows in COPY's text format."""
    row = columns[0]
    for column in columns[1:]:
        row = np.strings.add(np.strings.add(row, b"\t"), column)
    return b"\n".join(row.tolist()) + b"\n"


def copy_chunks(cursor, table: str, chunks: Iterable[dict[str, np.ndarray]]) -> int:
    """COPY every chunk (a dict column name -> column, the same names in each) into
    ``table`` through a psycopg 3 cursor; returns the row count.

    Chunks become text a slice at a time, and a single sender thread writes one slice while
    this thread formats the next: the two cores overlap, and at most two slices are in memory
    (psycopg's own queued writer would buffer hundreds of megabytes when the server lags)."""
    chunks = (chunk for chunk in chunks if _length(chunk))
    first = next(chunks, None)
    if first is None:
        return 0
    count = 0
    statement = f"COPY {table} ({', '.join(first)}) FROM STDIN"
    with cursor.copy(statement) as copy, ThreadPoolExecutor(max_workers=1) as sender:
        sending = None
        for chunk in itertools.chain([first], chunks):
            length = _length(chunk)
            for start in range(0, length, TEXT_ROWS):
                text = copy_text([chunk[name][start : start + TEXT_ROWS] for name in first])
                if sending is not None:
                    sending.result()
                sending = sender.submit(copy.write, text)
            count += length
        if sending is not None:
            sending.result()
    return count


def _length(chunk: dict[str, np.ndarray]) -> int:
    return len(next(iter(chunk.values())))
