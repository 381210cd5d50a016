"""The values MAL's enumerated fields and parameters take (SPEC 3.6, 4.3, 4.4, 4.8, 4.9, 5).

Types only: resources use them in signatures, models accept them *or any other string*, because
MAL adds values without notice (`light_novel`, `mixed_media`, `on_hiatus`: SPEC 5.1, 5.2).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = [
    "AiringStatus",
    "AnimeListSort",
    "AnimeMediaType",
    "AnimeRankingType",
    "AnimeSource",
    "DayOfWeek",
    "ForumSort",
    "MangaListSort",
    "MangaMediaType",
    "MangaRankingType",
    "Nsfw",
    "PublishingStatus",
    "Rating",
    "ReadStatus",
    "RelationType",
    "Season",
    "SeasonSort",
    "WatchStatus",
]

# SPEC 4.3: other values (`ona`, `music`) answer 400 "invalid ranking_type".
AnimeRankingType: TypeAlias = Literal[
    "all", "airing", "upcoming", "tv", "ova", "movie", "special", "bypopularity", "favorite"
]
# SPEC 4.9.
MangaRankingType: TypeAlias = Literal[
    "all", "manga", "novels", "oneshots", "doujin", "manhwa", "manhua", "bypopularity", "favorite"
]
# SPEC 4.4: winter is January to March.
Season: TypeAlias = Literal["winter", "spring", "summer", "fall"]
SeasonSort: TypeAlias = Literal["anime_score", "anime_num_list_users"]
# SPEC 4.8 / 4.9: `*_id` is "under development" on MAL but answers.
AnimeListSort: TypeAlias = Literal[
    "list_score", "list_updated_at", "anime_title", "anime_start_date", "anime_id"
]
MangaListSort: TypeAlias = Literal[
    "list_score", "list_updated_at", "manga_title", "manga_start_date", "manga_id"
]
ForumSort: TypeAlias = Literal["recent"]

# A list entry's status (SPEC 5.3, 5.4).
WatchStatus: TypeAlias = Literal["watching", "completed", "on_hold", "dropped", "plan_to_watch"]
ReadStatus: TypeAlias = Literal["reading", "completed", "on_hold", "dropped", "plan_to_read"]

# A title's own status (SPEC 5.1, 5.2; the last two manga values are observed, not documented).
AiringStatus: TypeAlias = Literal["finished_airing", "currently_airing", "not_yet_aired"]
PublishingStatus: TypeAlias = Literal[
    "finished", "currently_publishing", "not_yet_published", "on_hiatus", "discontinued"
]

AnimeMediaType: TypeAlias = Literal[
    "unknown", "tv", "ova", "movie", "special", "ona", "music", "cm", "pv", "tv_special"
]
MangaMediaType: TypeAlias = Literal[
    "unknown",
    "manga",
    "novel",
    "one_shot",
    "doujinshi",
    "manhwa",
    "manhua",
    "oel",
    "light_novel",
]
AnimeSource: TypeAlias = Literal[
    "other",
    "original",
    "manga",
    "4_koma_manga",
    "web_manga",
    "digital_manga",
    "novel",
    "light_novel",
    "visual_novel",
    "game",
    "card_game",
    "book",
    "picture_book",
    "radio",
    "music",
    "mixed_media",
    "web_novel",
]
Rating: TypeAlias = Literal["g", "pg", "pg_13", "r", "r+", "rx"]
# SPEC 3.6: white is safe, gray may be NSFW, black is NSFW (with many false positives).
Nsfw: TypeAlias = Literal["white", "gray", "black"]
DayOfWeek: TypeAlias = Literal[
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "other"
]
RelationType: TypeAlias = Literal[
    "sequel",
    "prequel",
    "alternative_setting",
    "alternative_version",
    "side_story",
    "parent_story",
    "summary",
    "full_story",
    "spin_off",
    "character",
    "adaptation",
    "other",
]
