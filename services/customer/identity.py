"""CUS-10 / CUS-12: what tells customers apart: normalised names and phones, search keys, the credit code.

Plain Python: no I/O, no framework.
"""

import re
import unicodedata

PHONE = re.compile(r"[+()\d][\d \-()]{3,18}\d")
_PUNCTUATION_OR_SPACE = re.compile(r"[\W_]+", re.UNICODE)


def normalised_name(name: str) -> str:
    """Full-width → half-width, case folded, without spaces and punctuation: 'ＡＢＣ 有限公司' = 'abc有限公司'."""
    return _PUNCTUATION_OR_SPACE.sub("", unicodedata.normalize("NFKC", name).casefold())


def normalised_phone(phone: str) -> str:
    """The number as dialled inside China: +86 138… → 138…, +86 21 6123… → 021 6123…."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone)).removeprefix("00")
    if digits.startswith("86"):  # domestic numbers start with 0 (landline) or 1 (mobile), never 86
        rest = digits[2:]
        return rest if rest.startswith("1") else "0" + rest.removeprefix("0")
    return digits


def search_key(text: str) -> str:
    """What prefix search compares: case- and width-insensitive, spaces kept."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


# GB 32100-2015: the unified social credit code (统一社会信用代码) and its check character.
_CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_CODE_WEIGHTS, strict=True))
    return _CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    code = code.upper()
    if len(code) != 18 or any(c not in _CREDIT_CODE_CHARS for c in code):
        return False
    return credit_code_check_char(code[:17]) == code[17]
