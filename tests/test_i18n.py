import string
import tomllib

import pytest

from geo_app.i18n import (
    LANGS,
    STRINGS_PATH,
    MissingStringError,
    StringsFileError,
    load_strings,
    parse_strings,
    t,
)


def test_every_shipped_string_has_every_language():
    strings = load_strings()
    assert len(strings) > 50
    for name in strings:
        for lang in LANGS:
            assert isinstance(strings.get(name, lang), str)


def test_shipped_file_has_no_leaf_missing_a_language():
    # parse_strings is strict; re-reading the raw file proves the check ran on it.
    with STRINGS_PATH.open("rb") as handle:
        parse_strings(tomllib.load(handle))


def test_both_languages_of_a_string_take_the_same_placeholders():
    def placeholders(text):
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}

    strings = load_strings()
    differing = [
        name
        for name in strings
        if placeholders(strings.get(name, "zh")) != placeholders(strings.get(name, "en"))
    ]
    assert any(placeholders(strings.get(name)) for name in strings)
    assert differing == []


def test_missing_name_raises_a_clear_error():
    with pytest.raises(MissingStringError, match=r"no en text for string 'legend\.nope'"):
        t("legend.nope", "en")


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language must be one of"):
        t("legend.title", "fr")


def test_placeholders_are_filled():
    assert t("popup.hectares_value", "zh", value="12.50") == "12.50 公顷"
    assert t("comparison.at_least", "en", value="200 ha") == "at least 200 ha"


def test_chinese_first_english_as_switch():
    assert t("legend.title") == "图例"
    assert t("legend.title", "en") == "Legend"


def test_a_leaf_without_english_is_rejected():
    with pytest.raises(StringsFileError, match=r"'a\.b' has no en text"):
        parse_strings({"a": {"b": {"zh": "甲"}}})


def test_a_leaf_mixing_text_and_sub_names_is_rejected():
    with pytest.raises(StringsFileError, match="mixes texts"):
        parse_strings({"a": {"zh": "甲", "en": "A", "c": {"zh": "丙", "en": "C"}}})


def test_a_custom_file_is_read(tmp_path):
    path = tmp_path / "strings.toml"
    path.write_text('[x.y]\nzh = "你好 {name}"\nen = "hello {name}"\n', encoding="utf-8")
    strings = load_strings(path)
    assert strings.names() == ("x.y",)
    assert strings.both("x.y", name="双阳") == {"zh": "你好 双阳", "en": "hello 双阳"}


def test_same_as_repeats_the_strings_of_another_name():
    strings = parse_strings(
        {
            "parcel": {"status": {"planned": {"zh": "计划供地", "en": "Planned"}}},
            "palette": {"status": {"same_as": "parcel.status"}},
        }
    )
    assert strings.both("palette.status.planned") == {"zh": "计划供地", "en": "Planned"}
    assert "palette.status" not in strings  # the alias table itself is no string


def test_same_as_a_single_string():
    strings = parse_strings({"a": {"zh": "甲", "en": "A"}, "b": {"same_as": "a"}})
    assert strings.get("b", "en") == "A"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"b": {"same_as": "nowhere"}}, "'b' is the same as 'nowhere', which is not there"),
        ({"b": {"same_as": "a", "zh": "乙"}}, "'b' must hold only same_as"),
        ({"b": {"same_as": 3}}, "'b' must hold only same_as"),
        (
            # A quoted TOML key "b.x" names what the alias would also produce.
            {"a": {"x": {"zh": "甲", "en": "A"}}, "b": {"same_as": "a"},
             "b.x": {"zh": "乙", "en": "B"}},
            "'b' is an alias but 'b.x' is also given",
        ),
    ],
)
def test_a_broken_same_as_is_rejected(document, message):
    with pytest.raises(StringsFileError, match=message):
        parse_strings(document)


def test_choice_names_a_code_or_gives_it_back():
    strings = load_strings()
    assert strings.choice("parcel.status", "planned", "zh") == t("parcel.status.planned")
    assert strings.choice("parcel.status", "planned", "en") == "Planned"
    assert strings.choice("parcel.status", "no_such_code", "en") == "no_such_code"


def test_the_legend_and_the_popups_name_parcel_statuses_alike():
    strings = load_strings()
    statuses = strings.names("parcel.status.")
    assert len(statuses) == 3
    for name in statuses:
        assert strings.both(name.replace("parcel.", "palette.", 1)) == strings.both(name)
    assert t("parcel.status.planned") == "计划供地"
    assert t("parcel.status.in_acquisition") == "征收中"
    assert t("parcel.status.supplied") == "已供地"
