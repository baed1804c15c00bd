from geo_app.i18n import t
from geo_app.ledger import PARCEL_STATUSES
from geo_app.parcel_labels import status_name, status_words, use_name


def test_every_status_has_words_in_both_languages():
    for code in PARCEL_STATUSES:
        zh, en = status_words(code)
        assert zh == status_name(code, "zh") == t(f"parcel.status.{code}", "zh")
        assert en == status_name(code, "en") and en != code


def test_status_words_are_those_a_land_planner_uses():
    assert [status_name(code) for code in PARCEL_STATUSES] == ["计划供地", "征收中", "已供地"]


def test_an_unknown_status_is_shown_as_its_code():
    assert status_name("unknown", "zh") == "unknown"


def test_a_named_use_is_named_by_the_strings_not_by_the_parcel():
    assert use_name("industrial", "zh", own_zh="工业用地") == t("parcel.use.industrial", "zh")
    assert use_name("industrial", "en", own_zh="工业用地") == "Industrial"


def test_an_unnamed_use_falls_back_to_the_parcels_own_words_in_chinese_only():
    assert use_name("fishery", "zh", own_zh="渔业") == "渔业"
    assert use_name("fishery", "en", own_zh="渔业") == "fishery"
    assert use_name("fishery", "zh") == "fishery"


def test_the_shipped_parcels_use_words_agree_with_the_strings():
    from geo_app.catalog import load_layer_frame

    parcels = load_layer_frame("land_parcels")
    for code, own in zip(parcels["use"], parcels["use_zh"], strict=True):
        assert use_name(code, "zh") == own, code
