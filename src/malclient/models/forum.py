"""MAL's forum as the API shows it (SPEC 4.11): boards, topic lists, one topic's posts and poll.

Follows the observed responses where they differ from MAL's schema: `poll` is one object or
null with `closed`, and avatars come as `forum_avator` (sic).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from malclient.models.common import Model, Paging

__all__ = [
    "ForumBoard",
    "ForumBoards",
    "ForumCategory",
    "ForumPost",
    "ForumSubboard",
    "ForumTopic",
    "ForumTopicDetail",
    "ForumTopicPage",
    "ForumUser",
    "Poll",
    "PollOption",
    "PostAuthor",
]


class ForumSubboard(Model, frozen=True):
    id: int
    title: str | None = None


class ForumBoard(Model, frozen=True):
    id: int
    title: str | None = None
    description: str | None = None
    subboards: list[ForumSubboard] | None = None


class ForumCategory(Model, frozen=True):
    title: str | None = None
    boards: list[ForumBoard] | None = None


class ForumBoards(Model, frozen=True):
    """`GET /forum/boards`: every category with its boards; not paged."""

    categories: list[ForumCategory] | None = None


class ForumUser(Model, frozen=True):
    id: int
    name: str | None = None


class ForumTopic(Model, frozen=True):
    """One row of `GET /forum/topics`."""

    id: int
    title: str | None = None
    created_at: datetime | None = None
    created_by: ForumUser | None = None
    number_of_posts: int | None = None
    last_post_created_at: datetime | None = None
    last_post_created_by: ForumUser | None = None
    is_locked: bool | None = None


class PostAuthor(Model, frozen=True):
    id: int
    name: str | None = None
    # MAL spells the key `forum_avator`; the attribute is spelled right, and the misspelling
    # is kept as a read-only alias for code written against MAL's docs.
    forum_avatar: str | None = msgspec.field(default=None, name="forum_avator")

    @property
    def forum_avator(self) -> str | None:
        return self.forum_avatar


class ForumPost(Model, frozen=True):
    id: int
    # 1 for the opening post; posts come oldest first.
    number: int | None = None
    created_at: datetime | None = None
    created_by: PostAuthor | None = None
    # Raw BBCode with HTML entities and `<br />` (SPEC 4.11), as MAL stores it.
    body: str | None = None
    signature: str | None = None


class PollOption(Model, frozen=True):
    id: int
    text: str | None = None
    votes: int | None = None


class Poll(Model, frozen=True):
    id: int
    question: str | None = None
    closed: bool | None = None
    options: list[PollOption] | None = None


class ForumTopicDetail(Model, frozen=True, omit_defaults=False):
    """A topic's title, one page of posts and its poll. MAL always sends `poll`, as null when
    there is none, and a dump keeps that null."""

    title: str | None = None
    posts: list[ForumPost] | None = None
    poll: Poll | None = None


class ForumTopicPage(Model, frozen=True):
    """`GET /forum/topic/{id}`: `data` is one topic, `paging` walks its posts."""

    data: ForumTopicDetail
    paging: Paging | None = None

    @property
    def next_url(self) -> str | None:
        return None if self.paging is None else self.paging.next

    @property
    def previous_url(self) -> str | None:
        return None if self.paging is None else self.paging.previous
