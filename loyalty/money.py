"""Money and points arithmetic: currency precision, points from money, largest-remainder splits."""
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

# ISO 4217 minor units for currencies a merchant is likely to use; anything else has two.
CURRENCY_PLACES = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3}
CURRENCY_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€", "GBP": "£", "KZT": "₸", "BYN": "Br", "UAH": "₴", "JPY": "¥", "CNY": "¥", "TRY": "₺", "INR": "₹"}


def currency_places(currency: str) -> int:
    return CURRENCY_PLACES.get(currency.upper(), 2)


def currency_quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_places(currency))


def money_quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(currency_quantum(currency), rounding=ROUND_HALF_UP)


def points_from_money(amount: Decimal) -> int:
    """Whole points from an exact value in points, always rounded down."""
    return int(amount.to_integral_value(rounding=ROUND_FLOOR))


def split_integer(total: int, weights: list[Decimal], caps: list[int] | None = None) -> list[int]:
    """Split `total` whole units across weights by largest remainder, never above a cap.

    Each share gets the floor of its exact proportion; the units left over go one each to the
    largest fractional parts (ties to the larger weight), so the shares sum to exactly `total`
    and no line is favoured for its position. A share that would exceed its cap is clamped and
    the excess is split again among the others.

    Raises:
        ValueError: `total` does not fit within the caps.
    """
    n = len(weights)
    shares = [0] * n
    if total == 0 or n == 0:
        return shares
    caps = caps if caps is not None else [total] * n
    if sum(caps) < total:
        raise ValueError("total exceeds the sum of caps")
    open_idx = [i for i in range(n) if caps[i] > 0 and weights[i] > 0]
    if not open_idx:
        open_idx = [i for i in range(n) if caps[i] > 0]
        weights = [Decimal(1)] * n
    remaining = total
    while remaining > 0:
        weight_sum = sum(weights[i] for i in open_idx)
        exact = {i: Decimal(remaining) * weights[i] / weight_sum for i in open_idx}
        floors = {i: int(exact[i].to_integral_value(rounding=ROUND_FLOOR)) for i in open_idx}
        leftover = remaining - sum(floors.values())
        order = sorted(open_idx, key=lambda i: (exact[i] - floors[i], weights[i]), reverse=True)
        for i in order[:leftover]:
            floors[i] += 1
        clamped = False
        for i in open_idx:
            room = caps[i] - shares[i]
            if floors[i] > room:
                floors[i] = room
                clamped = True
        for i in open_idx:
            shares[i] += floors[i]
        remaining = total - sum(shares)
        open_idx = [i for i in open_idx if shares[i] < caps[i]]
        if remaining and not open_idx:
            raise ValueError("total exceeds the sum of caps")
        if not clamped and remaining:
            # Cannot happen: without clamping the floors plus leftover sum to the total.
            raise ValueError("allocation did not converge")
    return shares


def split_money(total: Decimal, weights: list[Decimal], currency: str, caps: list[Decimal] | None = None) -> list[Decimal]:
    """Split a money amount across weights in the currency's minor units, by largest remainder."""
    quantum = currency_quantum(currency)
    units = int((total / quantum).to_integral_value())
    unit_caps = [int((cap / quantum).to_integral_value(rounding=ROUND_FLOOR)) for cap in caps] if caps is not None else None
    return [quantum * share for share in split_integer(units, weights, unit_caps)]


def quantity_text(quantity: Decimal) -> str:
    """A quantity's canonical text in answers: no exponent, no trailing zeros ("2", "0.35", "1.5")."""
    text = f"{quantity.normalize():f}"
    return "0" if text in ("-0", "0") else text
