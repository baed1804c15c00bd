"""Attribute values as compact JSON: fast for what orjson writes, the json module's way for
what it refuses, the same values read back either way."""

import json

import pytest

from geo_app.compact_json import dumps, loads


@pytest.mark.parametrize("value", [
    {"地块编号": "SY-001", "批准面积": 1.5, "sample": False, "note": None},
    {"tiny": 1e-7, "huge": 1e16, "negative zero": -0.0, "list": [1, "二", 3.25]},
    {"steering": "a\x01b\nc\td", "quote": 'say "x" \\ /'},
])
def test_values_read_back_as_they_were(value):
    text = dumps(value)
    assert json.loads(text) == value
    assert ", " not in text.replace('say "x"', "")  # compact: no space after separators


def test_chinese_is_written_as_it_is():
    assert dumps({"所在乡镇": "奢岭"}) == '{"所在乡镇":"奢岭"}'


def test_an_integer_beyond_64_bits_is_written_by_the_json_module():
    value = {"big": 2**70}
    assert dumps(value) == '{"big":1180591620717411303424}'


def test_text_with_a_lone_surrogate_is_written_as_the_json_module_writes_it():
    # A dBASE read with a wrong code page can leave such text behind.
    value = {"name": "bad \udcff"}
    assert dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("text", [
    '{"地块编号":"SY-001","批准面积":1.5,"sample":false,"note":null,"n":[1,"二",3.25]}',
    '{"tiny":1e-7,"negative zero":-0.0,"round":1.0,"eighteen digits":123456789012345678}',
    '{"big":1180591620717411303424,"id":"2201120010010000001"}',  # 22 and 19 digits
    '{"nested":[1,{"big":-1180591620717411303424}]}',
    '18446744073709551616',
    '{"nan":NaN,"infinite":-Infinity}',
    '{"name":"bad \\udcff"}',
    '{"name":"bad \udcff"}',  # the lone surrogate itself, as dumps writes it
    '{"twice":1,"twice":2}',
    '"奢岭"',
])
def test_text_reads_back_as_the_json_module_reads_it(text):
    value = loads(text)
    assert repr(value) == repr(json.loads(text))  # types and digits too: 1 is not 1.0


def test_text_neither_reader_takes_is_refused():
    with pytest.raises(json.JSONDecodeError):
        loads('{"open": ')
