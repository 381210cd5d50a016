"""Values the models parse for the user: partial dates, broadcast times, datetimes, counts that
arrive as strings, and what happens with keys, values and shapes MAL may send tomorrow."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, time

import pytest

import malclient.models as models
from malclient import MALError
from malclient.models import (
    Anime,
    AnimeListEntry,
    ForumTopicDetail,
    Manga,
    Page,
    PartialDate,
    ResponseFormatError,
    TimeOfDay,
    decode,
    dump,
    dump_json,
)

# --- partial dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts", "precision"),
    [
        ("2017", (2017, None, None), "year"),
        ("2017-10", (2017, 10, None), "month"),
        ("2017-10-23", (2017, 10, 23), "day"),
    ],
)
def test_partial_dates_keep_their_precision_and_text(
    text: str, parts: tuple[int, int | None, int | None], precision: str
) -> None:
    value = PartialDate.parse(text)
    assert (value.year, value.month, value.day) == parts
    assert value.precision == precision
    assert str(value) == text
    assert value == PartialDate(*parts)
    assert eval(repr(value), {"PartialDate": PartialDate}) == value  # noqa: S307


@pytest.mark.parametrize(
    "text",
    [
        "",
        "17",
        "2017-1",
        "2017-10-2",
        "2017/10/23",
        "23-10-2017",
        "2017-02-30",
        "2017-13",
        "2024-03-00",
        "0000-00-00",
        "0000",
        "２０１７",
        "2017-10-23T00:00:00",
        " 2017",
    ],
)
def test_anything_else_is_not_a_partial_date(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        PartialDate.parse(text)


def test_partial_dates_sort_coarse_before_fine() -> None:
    texts = ["2018", "2017-10-23", "2017", "2017-10", "2017-01-01", "2017-01"]
    ordered = sorted(PartialDate.parse(text) for text in texts)
    assert [str(value) for value in ordered] == [
        "2017",
        "2017-01",
        "2017-01-01",
        "2017-10",
        "2017-10-23",
        "2018",
    ]


def test_partial_date_converts_to_dates_only_when_complete() -> None:
    assert PartialDate.parse("2017-10-23").to_date() == date(2017, 10, 23)
    assert PartialDate.parse("2017-10").to_date() is None
    assert PartialDate.parse("2017-10").first_day() == date(2017, 10, 1)
    assert PartialDate.from_date(date(2020, 2, 29)).is_complete


def test_partial_dates_are_immutable_hashable_and_picklable() -> None:
    value = PartialDate.parse("2017-10")
    with pytest.raises(AttributeError):
        value.year = 2018  # type: ignore[misc]
    assert {value, PartialDate(2017, 10)} == {value}
    assert pickle.loads(pickle.dumps(value)) == value  # noqa: S301


def test_a_day_needs_a_month() -> None:
    with pytest.raises(ValueError, match="month"):
        PartialDate(2017, None, 3)


# --- times --------------------------------------------------------------------------------------


def test_broadcast_time_is_a_time_that_prints_like_mal() -> None:
    anime = decode(b'{"id":1,"broadcast":{"day_of_the_week":"sunday","start_time":"01:35"}}', Anime)
    assert anime.broadcast is not None
    start = anime.broadcast.start_time
    assert start == time(1, 35)
    assert str(start) == "01:35"
    assert dump(anime)["broadcast"] == {"day_of_the_week": "sunday", "start_time": "01:35"}


@pytest.mark.parametrize("text", ["1:35", "25:00", "01:35:00", "noon"])
def test_other_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="time"):
        TimeOfDay.parse(text)


def test_datetimes_are_utc_and_dump_as_mal_writes_them() -> None:
    body = (
        b'{"id":1,"created_at":"2015-03-02T06:03:11+00:00",'
        b'"updated_at":"2024-01-01T09:00:00+09:00"}'
    )
    anime = decode(body, Anime)
    assert anime.created_at == datetime(2015, 3, 2, 6, 3, 11, tzinfo=UTC)
    assert anime.updated_at == datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    assert dump(anime)["created_at"] == "2015-03-02T06:03:11+00:00"
    assert dump(anime)["updated_at"] == "2024-01-01T09:00:00+09:00"


# --- tolerance ----------------------------------------------------------------------------------


def test_a_bare_node_parses_with_everything_else_absent() -> None:
    anime = decode(b'{"id":5}', Anime)
    assert anime.id == 5
    assert anime.title == ""
    assert anime.genres is None
    assert dump(anime) == {"id": 5}


def test_unknown_keys_are_ignored() -> None:
    manga = decode(b'{"id":1,"title":"X","a_field_from_2030":{"x":[1]},"status":"finished"}', Manga)
    assert manga.status == "finished"
    assert "a_field_from_2030" not in dump(manga)


def test_unknown_enum_values_are_kept_as_text() -> None:
    body = b'{"id":1,"media_type":"hologram","status":"on_hiatus","nsfw":"ultraviolet"}'
    manga = decode(body, Manga)
    assert (manga.media_type, manga.status, manga.nsfw) == ("hologram", "on_hiatus", "ultraviolet")


@pytest.mark.parametrize("count", [b'"24376"', b"24376"])
def test_status_counts_arrive_as_strings_or_numbers(count: bytes) -> None:
    body = b'{"id":1,"statistics":{"num_list_users":9,"status":{"watching":' + count + b"}}}"
    anime = decode(body, Anime)
    assert anime.statistics is not None
    assert anime.statistics.status is not None
    assert anime.statistics.status.watching == 24376


def test_a_topic_without_poll_keeps_the_null() -> None:
    topic = decode(b'{"title":"t","posts":[],"poll":null}', ForumTopicDetail)
    assert topic.poll is None
    assert dump(topic) == {"title": "t", "posts": [], "poll": None}


def test_entries_of_a_list_asked_without_list_status_still_parse() -> None:
    page = decode(b'{"data":[{"node":{"id":1,"title":"A"}}],"paging":{}}', Page[AnimeListEntry])
    assert page.data[0].list_status is None


def test_a_response_of_the_wrong_shape_names_the_place_not_the_body() -> None:
    body = b'{"data":[{"node":{"id":"secret-looking-text","title":"A"}}]}'
    with pytest.raises(ResponseFormatError) as caught:
        decode(body, Page[AnimeListEntry])
    message = str(caught.value)
    assert "$.data[0].node.id" in message
    assert "secret-looking-text" not in message


@pytest.mark.parametrize("body", [b"<html>Sekret 504</html>", b'{"id":1,"title":"Sekret'])
def test_a_body_that_is_not_json_is_a_response_format_error(body: bytes) -> None:
    with pytest.raises(ResponseFormatError, match="not valid JSON") as caught:
        decode(body, Anime)
    assert "Sekret" not in str(caught.value)
    # It is a ValueError too, and one of malclient's errors.
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, MALError)


def test_models_are_frozen() -> None:
    anime = decode(b'{"id":1}', Anime)
    with pytest.raises(AttributeError):
        anime.id = 2  # type: ignore[misc]


def test_dump_json_writes_an_export_in_mal_form() -> None:
    body = b'{"id":1,"start_date":"2017-10","created_at":"2015-03-02T06:03:11+00:00"}'
    assert dump_json(decode(body, Anime)) == body


def test_public_names_are_sorted_and_all_present() -> None:
    assert list(models.__all__) == sorted(models.__all__)
    for name in models.__all__:
        assert hasattr(models, name), name
