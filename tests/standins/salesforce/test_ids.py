from standins.salesforce import ids


def test_checksum_matches_the_documented_example():
    assert ids.checksum("001R00000064wdt") == "IAA"


def test_new_ids_are_eighteen_characters_with_their_key_prefix():
    record_id = ids.new_id("003", 123456)

    assert len(record_id) == 18
    assert record_id.startswith("003")
    assert ids.checksum(record_id[:15]) == record_id[15:]


def test_fifteen_character_id_gains_its_checksum():
    assert ids.canonical_id("001R00000064wdt") == "001R00000064wdtIAA"


def test_upper_cased_eighteen_character_id_recovers_its_case():
    record_id = ids.new_id("001", 62**5 + 37)

    assert ids.canonical_id(record_id.upper()) == record_id


def test_strings_that_are_not_ids_are_rejected():
    assert ids.canonical_id("not-an-id") is None
    assert ids.canonical_id("001R00000064wdtZZZ") is None
    assert ids.canonical_id(12345) is None
