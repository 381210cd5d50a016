"""The list write form: users write the names they read, MAL gets its form names and values,
and bad values fail before any request with a message naming the field (SPEC 5.3, 5.4)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from malclient.models import PartialDate, list_update_form


def test_read_names_become_mal_form_names_and_text() -> None:
    form = list_update_form(
        "anime",
        status="completed",
        num_episodes_watched=26,
        is_rewatching=False,
        score=9,
        tags=["mecha", "rewatch later"],
        start_date=date(2024, 3, 5),
        finish_date="2024-04",
    )
    assert form == {
        "status": "completed",
        "num_watched_episodes": "26",
        "is_rewatching": "false",
        "score": "9",
        "tags": "mecha,rewatch later",
        "start_date": "2024-03-05",
        "finish_date": "2024-04",
    }


def test_mal_own_form_name_is_accepted_too() -> None:
    assert list_update_form("anime", num_watched_episodes=3) == {"num_watched_episodes": "3"}


def test_the_same_field_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        list_update_form("anime", num_watched_episodes=3, num_episodes_watched=4)


def test_manga_names_match_the_read_names() -> None:
    form = list_update_form(
        "manga",
        status="reading",
        is_rereading=True,
        num_volumes_read=2,
        num_chapters_read=15,
        num_times_reread=1,
        reread_value=3,
        start_date=PartialDate(2023),
    )
    assert form == {
        "status": "reading",
        "is_rereading": "true",
        "num_volumes_read": "2",
        "num_chapters_read": "15",
        "num_times_reread": "1",
        "reread_value": "3",
        "start_date": "2023",
    }


def test_none_means_not_sent_and_empty_date_clears() -> None:
    assert list_update_form("anime", score=None, comments=None) == {}
    assert list_update_form("anime", start_date="") == {"start_date": ""}


def test_datetimes_are_sent_as_their_day() -> None:
    form = list_update_form("anime", finish_date=datetime(2024, 3, 5, 23, 59))
    assert form == {"finish_date": "2024-03-05"}


@pytest.mark.parametrize(
    ("kind", "changes", "error", "match"),
    [
        ("anime", {"score": 11}, ValueError, "score must be from 0 to 10, not 11"),
        ("anime", {"score": -1}, ValueError, "score must be from 0 to 10"),
        ("anime", {"score": 7.5}, TypeError, "score must be a whole number"),
        ("anime", {"score": True}, TypeError, "score must be a whole number"),
        ("anime", {"priority": 3}, ValueError, "priority must be from 0 to 2"),
        ("anime", {"rewatch_value": 6}, ValueError, "rewatch_value must be from 0 to 5"),
        ("manga", {"reread_value": 6}, ValueError, "reread_value must be from 0 to 5"),
        ("anime", {"num_episodes_watched": -2}, ValueError, "0 or more"),
        ("anime", {"num_episodes_watched": "12"}, TypeError, "whole number"),
        ("anime", {"status": "reading"}, ValueError, "plan_to_watch"),
        ("manga", {"status": "watching"}, ValueError, "plan_to_read"),
        ("anime", {"is_rewatching": "yes"}, TypeError, "True or False"),
        ("anime", {"tags": ["a,b"]}, ValueError, "comma"),
        ("anime", {"tags": [1]}, TypeError, "list of strings"),
        ("anime", {"comments": 5}, TypeError, "string"),
        ("anime", {"start_date": "03/05/2024"}, ValueError, "start_date"),
        ("anime", {"start_date": "2024-02-30"}, ValueError, "start_date"),
        ("anime", {"finish_date": 20240305}, TypeError, "finish_date"),
        ("manga", {"num_episodes_watched": 1}, ValueError, "not a field of a manga list entry"),
        ("anime", {"is_rereading": True}, ValueError, "Did you mean is_rewatching"),
        ("anime", {"episodes": 3}, ValueError, "Fields: status"),
    ],
)
def test_bad_values_fail_early_with_a_message_naming_the_field(
    kind: Any, changes: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        list_update_form(kind, **changes)


def test_only_anime_and_manga_have_lists() -> None:
    with pytest.raises(ValueError, match="anime"):
        list_update_form("user", score=1)  # type: ignore[arg-type]


def test_a_single_tag_string_is_one_tag_and_blank_tags_are_dropped() -> None:
    assert list_update_form("anime", tags="favourite") == {"tags": "favourite"}
    assert list_update_form("anime", tags=[" a ", "", "b"]) == {"tags": "a,b"}
    # An empty list clears the tags.
    assert list_update_form("anime", tags=[]) == {"tags": ""}
