from conftest import HOSTILE

from geo_app.mapview import search_features


def test_search_matches_chinese_english_and_id_in_any_case(tiny_catalog):
    assert [m.id for m in search_features("地块", catalog=tiny_catalog)] == ["p-1", "p-2", "p-3"]
    assert [m.id for m in search_features("PARCEL P-2", "en", tiny_catalog)] == ["p-2"]
    assert [m.id for m in search_features("boundary-TEST", catalog=tiny_catalog)] == [
        "boundary-test"
    ]


def test_search_reaches_hidden_layers_and_names_the_layer(tiny_catalog):
    match = search_features("隐藏", "zh", tiny_catalog)[0]
    assert (match.layer, match.layer_name, match.name) == ("hidden_notes", "隐藏图层", "隐藏要素甲")
    (match,) = search_features("hidden one", "en", tiny_catalog)
    assert match.layer_name == "Hidden layer" and match.name == "Hidden one"


def test_search_ranks_exact_then_prefix_then_contains(tiny_catalog):
    # hidden-two comes first in catalog order but only contains "p-1"; p-1 is the exact id.
    assert [m.id for m in search_features("p-1", "en", tiny_catalog)] == ["p-1", "hidden-two"]
    assert [m.id for m in search_features("notes", "en", tiny_catalog)] == ["hidden-two"]


def test_blank_query_and_limit(tiny_catalog):
    assert search_features("   ", catalog=tiny_catalog) == []
    assert len(search_features("p-", catalog=tiny_catalog, limit=2)) == 2


def test_hostile_names_come_back_as_plain_text(tiny_catalog):
    (match,) = search_features("onerror", catalog=tiny_catalog)
    assert match.name == HOSTILE  # the caller escapes when it writes HTML



def test_shipped_layers_are_searchable():
    matches = search_features("双阳")
    assert matches and all(m.bounds[0][0] <= m.bounds[1][0] for m in matches)
