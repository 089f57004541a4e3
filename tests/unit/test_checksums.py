"""Our checksum validators agree with python-stdnum on thousands of generated numbers."""

from __future__ import annotations

import random

import pytest
from stdnum import iban as std_iban
from stdnum import luhn as std_luhn
from stdnum.pl import nip as std_nip
from stdnum.pl import pesel as std_pesel
from stdnum.pl import regon as std_regon

from tools.pii.checksums import iban_is_valid, luhn_is_valid, nip_is_valid, pesel_is_valid, regon_is_valid

RNG = random.Random(20261123)
N = 4000


def _digits(n: int) -> str:
    return "".join(RNG.choice("0123456789") for _ in range(n))


def _with_check(body: str, calc) -> str:  # type: ignore[no-untyped-def]
    return body + calc(body)


def _mutations(valid: str) -> list[str]:
    position = RNG.choice([i for i, c in enumerate(valid) if c.isdigit()])
    changed = valid[:position] + str((int(valid[position]) + RNG.randint(1, 9)) % 10) + valid[position + 1 :]
    return [changed, valid[: len(valid) - len(valid.lstrip('PL'))] + _digits(len(valid.lstrip('PL')))]


def test_pesel_agrees_with_stdnum() -> None:
    samples = []
    for _ in range(N):
        year, month, day = RNG.randint(0, 99), RNG.choice([1, 5, 12, 21, 32, 41, 52, 81, 13, 0]), RNG.randint(1, 31)
        body = f"{year:02d}{month:02d}{day:02d}{_digits(4)}"
        valid = _with_check(body, std_pesel.calc_check_digit)
        samples += [valid, *_mutations(valid)]
    valid_count = sum(std_pesel.is_valid(s) for s in samples)
    assert valid_count > N // 2  # both classes well represented
    assert [pesel_is_valid(s) for s in samples] == [std_pesel.is_valid(s) for s in samples]


def test_nip_agrees_with_stdnum_with_separators_and_prefix() -> None:
    samples = []
    for _ in range(N):
        body = _digits(9)
        check = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), body)) % 11
        valid = body + str(check % 10)
        samples += [valid, f"PL{valid}", f"{valid[:3]}-{valid[3:6]}-{valid[6:8]}-{valid[8:]}", *_mutations(valid)]
    assert sum(std_nip.is_valid(s) for s in samples) > N
    assert [nip_is_valid(s) for s in samples] == [std_nip.is_valid(s) for s in samples]


def test_regon_agrees_with_stdnum() -> None:
    samples = []
    for _ in range(N):
        nine = _with_check(_digits(8), std_regon.calc_check_digit)
        fourteen = _with_check(nine + _digits(4), std_regon.calc_check_digit)
        samples += [nine, fourteen, *_mutations(nine), *_mutations(fourteen)]
    assert [regon_is_valid(s) for s in samples] == [std_regon.is_valid(s) for s in samples]


def test_iban_agrees_with_stdnum() -> None:
    samples = []
    for _ in range(N):
        bban = _digits(24)
        check = 98 - int("".join(str(int(c, 36)) for c in bban + "PL00")) % 97
        valid = f"PL{check:02d}{bban}"
        samples += [valid, *_mutations(valid)]
    assert sum(std_iban.is_valid(s) for s in samples) >= N
    assert [iban_is_valid(s) for s in samples] == [std_iban.is_valid(s) for s in samples]


@pytest.mark.parametrize("length", [13, 15, 16, 19])
def test_luhn_agrees_with_stdnum(length: int) -> None:
    samples = []
    for _ in range(N // 4):
        valid = _with_check(_digits(length - 1), std_luhn.calc_check_digit)
        samples += [valid, *_mutations(valid)]
    assert [luhn_is_valid(s) for s in samples] == [std_luhn.is_valid(s) for s in samples]
