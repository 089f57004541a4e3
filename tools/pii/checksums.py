"""Checksum validation of Polish identifiers, IBAN and card numbers.

Pure functions so recognizers, redaction and tests share one definition. Cross-checked against
python-stdnum on thousands of generated numbers in ``tests/unit/test_checksums.py``.
"""

from __future__ import annotations

import datetime
import re

_SEPARATORS = re.compile(r"[\s\-]")

_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_REGON9_WEIGHTS = (8, 9, 2, 3, 4, 5, 6, 7)
_REGON14_WEIGHTS = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)
_ID_CARD_WEIGHTS = (7, 3, 1, 0, 7, 3, 1, 7, 3)
_PESEL_CENTURY = {0: 1900, 1: 2000, 2: 2100, 3: 2200, 4: 1800}

# Lengths of IBANs per country (ISO 13616 registry, the countries a Polish desk meets most).
IBAN_LENGTHS = {
    "PL": 28, "DE": 22, "GB": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "BE": 16, "AT": 20, "CH": 21,
    "CZ": 24, "SK": 24, "LT": 20, "LV": 21, "EE": 20, "SE": 24, "NO": 15, "DK": 18, "FI": 18, "IE": 22,
    "PT": 25, "LU": 20, "HU": 28, "RO": 24, "BG": 22, "HR": 21, "SI": 19, "GR": 27, "CY": 28, "MT": 31,
    "UA": 29,
}


def compact(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def pesel_birth_date(value: str) -> datetime.date | None:
    digits = compact(value)
    year, month, day = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    try:
        return datetime.date(year + _PESEL_CENTURY[month // 20], month % 20, day)
    except (ValueError, KeyError):
        return None


def pesel_is_valid(value: str) -> bool:
    """11 digits, check digit, and a real birth date (the month carries the century)."""
    digits = compact(value)
    if len(digits) != 11 or not digits.isdigit():
        return False
    check = (10 - sum(w * int(d) for w, d in zip(_PESEL_WEIGHTS, digits)) % 10) % 10
    return check == int(digits[10]) and pesel_birth_date(digits) is not None


def nip_is_valid(value: str) -> bool:
    """10 digits (dashes/spaces and a ``PL`` prefix allowed); weighted sum mod 11 is the last digit."""
    digits = compact(value)
    if digits.startswith("PL"):
        digits = digits[2:]
    if len(digits) != 10 or not digits.isdigit():
        return False
    check = sum(w * int(d) for w, d in zip(_NIP_WEIGHTS, digits)) % 11
    return check != 10 and check == int(digits[9])


def regon_is_valid(value: str) -> bool:
    """9 or 14 digits; a 14-digit REGON also carries a valid 9-digit one in front."""
    digits = compact(value)
    if not digits.isdigit() or len(digits) not in (9, 14):
        return False
    weights = _REGON9_WEIGHTS if len(digits) == 9 else _REGON14_WEIGHTS
    if sum(w * int(d) for w, d in zip(weights, digits)) % 11 % 10 != int(digits[-1]):
        return False
    return len(digits) == 9 or regon_is_valid(digits[:9])


def pl_id_card_is_valid(value: str) -> bool:
    """Dowód osobisty: 3 letters + 6 digits, the first digit is the check digit."""
    text = compact(value)
    if not re.fullmatch(r"[A-Z]{3}\d{6}", text):
        return False
    values = [ord(c) - 55 for c in text[:3]] + [int(c) for c in text[3:]]
    return sum(w * v for w, v in zip(_ID_CARD_WEIGHTS, values)) % 10 == values[3]


def iban_is_valid(value: str) -> bool:
    """Country length (where known) and ISO 7064 mod 97-10."""
    text = compact(value)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", text):
        return False
    if IBAN_LENGTHS.get(text[:2], len(text)) != len(text):
        return False
    rearranged = text[4:] + text[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def luhn_is_valid(value: str) -> bool:
    digits = compact(value)
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number = number * 2 - 9 if number > 4 else number * 2
        total += number
    return total % 10 == 0
