"""Salesforce record ids: 15 case-sensitive characters plus a 3-character case checksum.

The 18-character form lets case-insensitive systems round-trip an id: each suffix character
encodes which of five characters in a block of the 15-character id are upper case.
"""

import string

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
CHECKSUM_ALPHABET = string.ascii_uppercase + "012345"
# Characters 4-6 of a real id name the pod and a reserved digit; any fixed value will do here.
POD = "5g0"


def checksum(id15: str) -> str:
    suffix = ""
    for block_start in range(0, 15, 5):
        block = id15[block_start : block_start + 5]
        flags = sum(1 << position for position, char in enumerate(block) if char in string.ascii_uppercase)
        suffix += CHECKSUM_ALPHABET[flags]
    return suffix


def new_id(key_prefix: str, sequence: int) -> str:
    """Build the 18-character id of the `sequence`-th record with this key prefix."""
    counter = ""
    while sequence:
        sequence, digit = divmod(sequence, 62)
        counter = BASE62[digit] + counter
    id15 = key_prefix + POD + counter.rjust(9, "0")
    return id15 + checksum(id15)


def canonical_id(value: object) -> str | None:
    """The 18-character id for a 15- or 18-character id in any case, or None if it is not an id."""
    if not isinstance(value, str) or len(value) not in (15, 18) or not value.isalnum() or not value.isascii():
        return None
    if len(value) == 15:
        return value + checksum(value)
    suffix = value[15:].upper()
    if any(char not in CHECKSUM_ALPHABET for char in suffix):
        return None
    restored = "".join(
        _restore_case(value[block * 5 : block * 5 + 5], CHECKSUM_ALPHABET.index(flag))
        for block, flag in enumerate(suffix)
    )
    return restored + suffix if checksum(restored) == suffix else None


def _restore_case(block: str, flags: int) -> str:
    return "".join(char.upper() if flags & (1 << position) else char.lower() for position, char in enumerate(block))
