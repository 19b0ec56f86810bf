from decimal import Decimal

import pytest

from loyalty.money import currency_places, money_quantize, points_from_money, split_integer, split_money


@pytest.mark.parametrize(
    ("currency", "amount", "expected"),
    [
        ("RUB", "1.005", Decimal("1.01")),
        ("RUB", "1.004", Decimal("1.00")),
        ("rub", "179.8", Decimal("179.80")),
        ("JPY", "150.5", Decimal("151")),
        ("KWD", "1.0005", Decimal("1.001")),
        ("XYZ", "2.345", Decimal("2.35")),
    ],
)
def test_money_quantize_rounds_half_up_to_the_currency_precision(currency, amount, expected):
    # given an exact amount / when it is quantized / then it has the currency's minor units
    result = money_quantize(Decimal(amount), currency)

    assert result == expected
    assert result.as_tuple().exponent == -currency_places(currency)


@pytest.mark.parametrize(("value", "expected"), [("3.99", 3), ("3", 3), ("0.9999", 0), ("0", 0), ("-0.5", -1)])
def test_points_from_money_always_rounds_down(value, expected):
    assert points_from_money(Decimal(value)) == expected


def test_split_integer_gives_the_leftover_to_the_largest_remainders():
    # given 100 points over weights 1:1:1 (33.33 each)
    shares = split_integer(100, [Decimal(1), Decimal(1), Decimal(1)])

    # then the shares add up exactly and differ by at most one
    assert shares == [34, 33, 33]
    assert sum(shares) == 100


def test_split_integer_prefers_the_larger_fraction_not_the_first_position():
    # exact shares 1.2, 1.8 → floors 1, 1, one left over goes to the .8
    assert split_integer(3, [Decimal("2"), Decimal("3")]) == [1, 2]


def test_split_integer_respects_caps_and_moves_the_excess_to_the_others():
    shares = split_integer(10, [Decimal(1), Decimal(1)], [2, 100])

    assert shares == [2, 8]


def test_split_integer_refuses_a_total_over_the_caps():
    with pytest.raises(ValueError):
        split_integer(10, [Decimal(1), Decimal(1)], [3, 3])


def test_split_integer_with_zero_weights_splits_evenly_among_open_lines():
    assert split_integer(3, [Decimal(0), Decimal(0), Decimal(0)]) == [1, 1, 1]


def test_split_integer_of_nothing_is_all_zeros():
    assert split_integer(0, [Decimal(1), Decimal(2)]) == [0, 0]
    assert split_integer(5, []) == []


def test_split_money_splits_cents_without_losing_one():
    shares = split_money(Decimal("0.10"), [Decimal(1), Decimal(1), Decimal(1)], "RUB")

    assert shares == [Decimal("0.04"), Decimal("0.03"), Decimal("0.03")]
    assert sum(shares) == Decimal("0.10")


def test_split_money_in_a_currency_without_minor_units():
    shares = split_money(Decimal("100"), [Decimal(1), Decimal(2)], "JPY")

    assert shares == [Decimal("33"), Decimal("67")]
    assert sum(shares) == Decimal("100")


def test_split_money_respects_caps():
    shares = split_money(Decimal("10.00"), [Decimal(1), Decimal(1)], "RUB", caps=[Decimal("2.50"), Decimal("100")])

    assert shares == [Decimal("2.50"), Decimal("7.50")]
