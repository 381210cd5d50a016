"""`client.forum`: boards, topics and a topic's posts (SPEC 4.11).
One-line wrappers over `_endpoints`; `Forum` and `AsyncForum` keep identical signatures.
"""

from __future__ import annotations

from malclient.models import ForumBoards, ForumPost, ForumSort, ForumTopic
from malclient.resources._base import AsyncResource, SyncResource
from malclient.resources._endpoints import FORUM_BOARDS, FORUM_TOPIC, FORUM_TOPICS
from malclient.resources._paging import AsyncPager, SyncPage

__all__ = ["AsyncForum", "Forum"]


class Forum(SyncResource):
    __slots__ = ()

    def boards(self) -> ForumBoards:
        """Every category with its boards and sub-boards (one request, not paged)."""
        return self._call(FORUM_BOARDS)

    def topics(
        self,
        *,
        board_id: int | None = None,
        subboard_id: int | None = None,
        q: str | None = None,
        topic_user_name: str | None = None,
        user_name: str | None = None,
        sort: ForumSort | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> SyncPage[ForumTopic]:
        """Topics, latest activity first. Needs `board_id`, `subboard_id` or `q`: without
        one MAL never answers (SPEC 4.11). `user_name` finds topics that user posted in."""
        return self._list(
            FORUM_TOPICS,
            board_id=board_id,
            subboard_id=subboard_id,
            q=q,
            topic_user_name=topic_user_name,
            user_name=user_name,
            sort=sort,
            limit=limit,
            offset=offset,
        )

    def topic(
        self, topic_id: int, *, limit: int | None = None, offset: int = 0
    ) -> SyncPage[ForumPost]:
        """A topic's posts, oldest first; `.model.data` has its `title` and `poll`."""
        return self._list(FORUM_TOPIC, topic_id=topic_id, limit=limit, offset=offset)


class AsyncForum(AsyncResource):
    __slots__ = ()

    async def boards(self) -> ForumBoards:
        return await self._call(FORUM_BOARDS)

    def topics(
        self,
        *,
        board_id: int | None = None,
        subboard_id: int | None = None,
        q: str | None = None,
        topic_user_name: str | None = None,
        user_name: str | None = None,
        sort: ForumSort | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> AsyncPager[ForumTopic]:
        return self._list(
            FORUM_TOPICS,
            board_id=board_id,
            subboard_id=subboard_id,
            q=q,
            topic_user_name=topic_user_name,
            user_name=user_name,
            sort=sort,
            limit=limit,
            offset=offset,
        )

    def topic(
        self, topic_id: int, *, limit: int | None = None, offset: int = 0
    ) -> AsyncPager[ForumPost]:
        return self._list(FORUM_TOPIC, topic_id=topic_id, limit=limit, offset=offset)
