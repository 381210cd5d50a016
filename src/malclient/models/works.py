"""Anime and manga objects with everything they can carry (SPEC 5.1, 5.2), and the edges that
link them: related titles, recommendations, search/ranking/seasonal/user-list entries.

One module because anime and manga refer to each other (`related_manga`, `related_anime`).
"""

from __future__ import annotations

from datetime import datetime

from malclient.models.common import AlternativeTitles, Genre, Model, Page, Picture
from malclient.models.dates import PartialDate, TimeOfDay
from malclient.models.list_status import AnimeListStatus, MangaListStatus
from malclient.models.literals import (
    AiringStatus,
    AnimeMediaType,
    AnimeSource,
    DayOfWeek,
    MangaMediaType,
    Nsfw,
    PublishingStatus,
    Rating,
    RelationType,
    Season,
)

__all__ = [
    "Anime",
    "AnimeEdge",
    "AnimeListEntry",
    "AnimeRecommendation",
    "AnimeStatistics",
    "Author",
    "Broadcast",
    "Magazine",
    "Manga",
    "MangaEdge",
    "MangaListEntry",
    "MangaRecommendation",
    "Person",
    "RankedAnime",
    "RankedManga",
    "RankingInfo",
    "RelatedAnime",
    "RelatedManga",
    "SeasonalPage",
    "Serialization",
    "StartSeason",
    "StatusCounts",
    "Studio",
    "Theme",
    "Video",
]


class StartSeason(Model, frozen=True):
    """`{year, season}`: an anime's `start_season`, and the `season` of a seasonal list."""

    year: int | None = None
    season: Season | str | None = None


class Broadcast(Model, frozen=True):
    day_of_the_week: DayOfWeek | str | None = None
    # Japan time (SPEC 5.1); absent for some shows.
    start_time: TimeOfDay | None = None


class Studio(Model, frozen=True):
    id: int
    name: str | None = None


class StatusCounts(Model, frozen=True):
    """How many users have the anime under each status. MAL sends these counts as strings
    (SPEC 5.1); they are decoded to int, so a dump writes numbers."""

    watching: int | None = None
    completed: int | None = None
    on_hold: int | None = None
    dropped: int | None = None
    plan_to_watch: int | None = None


class AnimeStatistics(Model, frozen=True):
    num_list_users: int | None = None
    status: StatusCounts | None = None


class Theme(Model, frozen=True):
    """An opening or ending song (undocumented fields `opening_themes`/`ending_themes`)."""

    id: int
    anime_id: int | None = None
    # e.g. `"takt (タクト)" by ryo (supercell)`: title, artist and episodes in one text.
    text: str | None = None


class Video(Model, frozen=True):
    """A promotional video (undocumented field `videos`)."""

    id: int
    title: str | None = None
    url: str | None = None
    # Unix seconds, as observed (S-MAL4J); not ISO strings like the other times.
    created_at: int | None = None
    updated_at: int | None = None
    thumbnail: str | None = None


class Person(Model, frozen=True):
    id: int
    first_name: str | None = None
    last_name: str | None = None


class Author(Model, frozen=True):
    """A manga's author with their role, e.g. "Story & Art" (SPEC 5.2)."""

    node: Person
    role: str | None = None


class Magazine(Model, frozen=True):
    id: int
    name: str | None = None


class Serialization(Model, frozen=True):
    node: Magazine
    role: str | None = None


class _Work(Model, frozen=True):
    """What anime and manga share (SPEC 5.2; MAL's schema calls it WorkBase)."""

    id: int
    # Always sent with the id (SPEC 3.5); "" only if MAL ever omitted it.
    title: str = ""
    main_picture: Picture | None = None
    alternative_titles: AlternativeTitles | None = None
    start_date: PartialDate | None = None
    end_date: PartialDate | None = None
    synopsis: str | None = None
    # `mean` and `rank` are absent when MAL cannot compute them (SPEC 3.5).
    mean: float | None = None
    rank: int | None = None
    popularity: int | None = None
    num_list_users: int | None = None
    num_scoring_users: int | None = None
    nsfw: Nsfw | str | None = None
    genres: list[Genre] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # Details only (SPEC 3.5): MAL ignores these on list endpoints.
    pictures: list[Picture] | None = None
    background: str | None = None
    related_anime: list[RelatedAnime] | None = None
    related_manga: list[RelatedManga] | None = None
    # Undocumented (S-MAL4J, MAL-API-Client-Upgraded).
    num_favorites: int | None = None


class Anime(_Work, frozen=True):
    media_type: AnimeMediaType | str | None = None
    status: AiringStatus | str | None = None
    # Only with a user's token, and only for titles on their list.
    my_list_status: AnimeListStatus | None = None
    # 0 when unknown (SPEC 5.1).
    num_episodes: int | None = None
    start_season: StartSeason | None = None
    broadcast: Broadcast | None = None
    source: AnimeSource | str | None = None
    # Seconds.
    average_episode_duration: int | None = None
    rating: Rating | str | None = None
    studios: list[Studio] | None = None
    recommendations: list[AnimeRecommendation] | None = None
    statistics: AnimeStatistics | None = None
    opening_themes: list[Theme] | None = None
    ending_themes: list[Theme] | None = None
    videos: list[Video] | None = None


class Manga(_Work, frozen=True):
    media_type: MangaMediaType | str | None = None
    status: PublishingStatus | str | None = None
    my_list_status: MangaListStatus | None = None
    # 0 until the series ends (SPEC 5.2).
    num_volumes: int | None = None
    num_chapters: int | None = None
    authors: list[Author] | None = None
    recommendations: list[MangaRecommendation] | None = None
    serialization: list[Serialization] | None = None


# --- edges --------------------------------------------------------------------------------------


class RelatedAnime(Model, frozen=True):
    node: Anime
    relation_type: RelationType | str | None = None
    # MAL's display text, e.g. "Side story".
    relation_type_formatted: str | None = None


class RelatedManga(Model, frozen=True):
    node: Manga
    relation_type: RelationType | str | None = None
    relation_type_formatted: str | None = None


class AnimeRecommendation(Model, frozen=True):
    node: Anime
    num_recommendations: int | None = None


class MangaRecommendation(Model, frozen=True):
    node: Manga
    num_recommendations: int | None = None


class AnimeEdge(Model, frozen=True):
    """A search, seasonal or suggestion result: `{"node": {...}}` (SPEC 3.3)."""

    node: Anime


class MangaEdge(Model, frozen=True):
    node: Manga


class RankingInfo(Model, frozen=True):
    # The position in *this* ranking, not `node.rank` (SPEC 4.3).
    rank: int
    previous_rank: int | None = None


class RankedAnime(Model, frozen=True):
    node: Anime
    ranking: RankingInfo


class RankedManga(Model, frozen=True):
    node: Manga
    ranking: RankingInfo


class AnimeListEntry(Model, frozen=True):
    """One entry of a user's anime list: the title and the user's status for it (SPEC 4.8)."""

    node: Anime
    # Sent only when `fields` names `list_status` (Fields.for_endpoint adds it on user lists).
    list_status: AnimeListStatus | None = None


class MangaListEntry(Model, frozen=True):
    node: Manga
    list_status: MangaListStatus | None = None


class SeasonalPage(Page[AnimeEdge], frozen=True):
    """A seasonal list page: adds the season asked for (SPEC 4.4)."""

    season: StartSeason | None = None
