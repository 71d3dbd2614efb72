"""Money is Decimal in CNY, rounded half-up to the fen when posted (Python defaults to half-even)."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_fen(amount: Decimal) -> Decimal:
    """Round an amount half-up to the fen: 0.125 -> 0.13, -0.125 -> -0.13."""
    return Decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)
