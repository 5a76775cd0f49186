"""Comparison levels and the rules that override the sum: names, companies and addresses as people type them."""

from dataclasses import replace

import pytest

from leadflow.quality.matching.comparisons import company_level, compare, first_name_level
from leadflow.quality.matching.profile import profile_from_values, split_street
from leadflow.quality.matching.scoring import Weights, score_pair

PERSON = {
    "first_name": "Robert",
    "last_name": "Jansen",
    "street": "Dorpsstraat 4",
    "postcode": "1234 AB",
    "city": "Ede",
}


def score(a: dict, b: dict, weights: Weights | None = None):
    return score_pair(profile_from_values(a), profile_from_values(b), weights or Weights())


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("robert", "bob", "nickname"),
        ("james", "jim", "nickname"),
        ("charles", "chuck", "nickname"),
        ("kai", "kia", "typo"),
        ("anna", "a", "initial"),
        ("anna", "b", "different"),
        ("anna maria", "anna", "exact"),
        ("pieter", "maarten", "different"),
    ],
)
def test_first_names_compare_by_nickname_transposition_and_initial(a, b, level):
    assert first_name_level(a, b) == level


@pytest.mark.parametrize("placeholder", ["Mr", "n/a", "declined", "Woman", "unknown"])
def test_placeholder_words_in_a_name_field_count_as_missing_not_as_a_different_name(placeholder):
    typed = profile_from_values({**PERSON, "first_name": placeholder})
    assert typed.first == ""
    assert "first_name" not in compare(typed, profile_from_values(PERSON))


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("acme trading", "acme trading", "exact"),
        ("acme tradnig", "acme trading", "typo"),
        ("acme", "acme trading", "contains"),
        ("arts deli", "arts delicatessen", "contains"),
        ("globex", "acme trading", "different"),
        ("bakker bouw", "visser bouw", "different"),
        ("cafe grand hotel", "dining room grand hotel", "different"),
    ],
)
def test_company_names_unrelated_or_another_outlet_of_one_brand_clearly_differ(a, b, level):
    assert company_level(a, b) == level


@pytest.mark.parametrize(
    ("street", "expected"),
    [
        ("Keizersgracht 123 A", ("123", "a", "keizersgracht")),
        ("1972 N. 3rd St.", ("1972", "", "3 street")),
        ("1972n 3rd St", ("1972", "", "3 street")),
        ("9th Ave", ("", "", "9 avenue")),
        ("Ninth Avenue", ("", "", "9 avenue")),
        ("Dorpsstr. 4", ("4", "", "dorpsstraat")),
        ("Hauptstraße 5", ("5", "", "hauptstraat")),
        ("1e Helmersstraat 3", ("3", "", "1 helmersstraat")),
        ("Eerste Helmersstraat 3", ("3", "", "1 helmersstraat")),
    ],
)
def test_streets_split_the_house_number_and_write_ordinals_and_abbreviations_one_way(street, expected):
    assert split_street(street) == expected


def test_house_numbers_compare_on_their_number_with_the_suffix_as_a_detail():
    a = profile_from_values({**PERSON, "street": "Dorpsstraat 4a"})
    assert compare(a, profile_from_values({**PERSON, "street": "Dorpsstraat 4 A"}))["house_number"] == "exact"
    assert compare(a, profile_from_values(PERSON))["house_number"] == "number"
    assert compare(a, profile_from_values({**PERSON, "street": "Dorpsstraat 44"}))["house_number"] == "different"


def test_two_swapped_postcode_digits_are_a_near_miss():
    a, b = profile_from_values({"postcode": "4754"}), profile_from_values({"postcode": "7454"})
    assert compare(a, b)["postcode"] == "typo"


def test_nickname_and_transposed_surname_still_make_a_probable_duplicate():
    pair = score(PERSON, {**PERSON, "first_name": "Bob", "last_name": "Jasnen"})
    assert pair.score >= 0.9, pair


def test_family_member_at_the_same_address_is_never_merged_automatically_a_person_decides():
    pair = score({**PERSON, "phone": "+31201234567"}, {**PERSON, "first_name": "Maria", "phone": "+31201234567"})
    assert 0.6 <= pair.score < 0.9
    assert any("a family member" in reason for reason in pair.reasons)


def test_another_first_name_on_contactless_records_follows_what_the_list_shows_about_households():
    # An imported address list without email or phone, whose pairs show first names replaced about as often as
    # surnames (few households): the learned evidence decides, and another first name counts mildly against.
    replaced_names = Weights(levels={("first_name", "different"): -1.0}, replaced_name_share=0.6)
    pair = score(PERSON, {**PERSON, "first_name": "Maria"}, replaced_names)
    assert not any("family member" in reason for reason in pair.reasons)
    assert pair.score >= 0.9, pair
    # A list full of households (another first name far more common than another surname): a person decides.
    households = replace(replaced_names, replaced_name_share=0.1)
    assert 0.6 <= score(PERSON, {**PERSON, "first_name": "Maria"}, households).score < 0.9
    # One phone line on the records: a household's channel, so a person decides whatever the list shows.
    line = {**PERSON, "phone": "+31201234567"}
    assert score(line, {**line, "first_name": "Maria"}, replaced_names).score < 0.9


def test_a_disagreement_the_model_learned_to_weigh_positively_is_scored_but_never_given_as_a_reason():
    # EM on an odd list (or an admin override) can leave a "different" level above zero.
    weights = Weights(levels={("city", "different"): 0.5})
    pair = score(PERSON, {**PERSON, "city": "Delft"}, weights)
    assert pair.levels["city"] == "different"
    assert not any("city" in reason.casefold() for reason in pair.reasons)


def test_colleagues_at_one_company_are_different_people():
    office = {**PERSON, "company": "Acme Trading", "phone": "+31201234567"}
    pair = score(office, {**office, "first_name": "Maria", "last_name": "Visser"})
    assert pair.score < 0.6
    assert any("colleagues" in reason for reason in pair.reasons)


def test_same_person_at_an_unrelated_company_is_not_a_duplicate_lead():
    pair = score({**PERSON, "company": "Acme Trading"}, {**PERSON, "company": "Globex"})
    assert pair.score < 0.6
    assert any("different company" in reason for reason in pair.reasons)


def test_whether_a_rule_fires_follows_the_weights_not_a_fixed_similarity_cut():
    sibling = ({**PERSON, "phone": "+31201234567"}, {**PERSON, "first_name": "Maria", "phone": "+31201234567"})
    # Data in which another first name says nothing (as common among duplicates as among others): no rule.
    indifferent = Weights(levels={("first_name", "different"): 0.0})
    assert not any("family member" in reason for reason in score(*sibling, indifferent).reasons)
    # A national id that agrees is evidence enough that it is one person whose first name was replaced.
    ids = [{**record, "custom_fields": None} for record in sibling]
    same_id = score_pair(
        profile_from_values(ids[0], {"ssn": "1234567"}), profile_from_values(ids[1], {"ssn": "1234567"}), Weights()
    )
    assert same_id.score >= 0.9


def test_one_business_listed_twice_with_one_phone_and_a_similar_name_is_one_business():
    business = {"company": "Art's Delicatessen", "phone": "+31 20 555 1234", "street": "Main St 12", "city": "Ede"}
    pair = score(business, {**business, "company": "Arts Deli", "street": "", "phone": "020 555 1234"})
    assert pair.score >= 0.99
    assert "One business listed twice" in pair.reasons[-1]


def test_two_outlets_of_one_brand_at_one_address_and_phone_are_different_businesses():
    outlet = {"company": "Cafe Grand Hotel", "phone": "+31 20 555 1234", "street": "Dam 1", "city": "Amsterdam"}
    pair = score(outlet, {**outlet, "company": "Dining Room Grand Hotel"})
    assert pair.score < 0.6
    assert any("outlets" in reason for reason in pair.reasons)


def test_a_record_without_person_or_company_name_is_not_taken_for_a_company():
    nameless = profile_from_values({"street": "Dam 1", "city": "Amsterdam"})
    assert not nameless.is_person and not nameless.is_company
    pair = score_pair(nameless, profile_from_values({**PERSON, "street": "Dam 1", "city": "Amsterdam"}), Weights())
    assert not any("person and the other a company" in reason for reason in pair.reasons)


def test_a_value_most_records_share_says_almost_nothing_when_it_agrees():
    weights = Weights(u_exact={"postcode": 0.01}, term_frequency={("postcode", "00000"): 0.98}, rare_share=0.0001)
    common = weights.term_frequency_adjustment("postcode", "00000")
    rare = weights.term_frequency_adjustment("postcode", "1234AB")
    assert common < -3 < 0 < rare
