"""The sandbox forum: MAL's boards, about 2,000 topics with polls, and their posts.

Topics (who posted and when) are built up front; post bodies are written the first time a topic
is read, each from its own seeded RNG, so the result never depends on the order of access.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

from malclient.sandbox._gen_dates import EPOCH, REF, stamp
from malclient.sandbox._gen_words import (
    DB_TOPIC_TITLES,
    FORUM_BOARDS,
    FORUM_TOPIC_COUNTS,
    MANGA_SERIES_TOPIC_TITLES,
    NOUNS,
    PLACES,
    POLL_OPTIONS,
    POST_SENTENCES,
    SEASONS,
    SERIES_TOPIC_TITLES,
    SIGNATURES,
    TOPIC_TITLES,
    USERNAME_PARTS,
)
from malclient.sandbox.config import SandboxUser

Record = dict[str, Any]
_FORUM_START = date(2008, 1, 1).toordinal()
_REF_SECONDS = (REF - EPOCH) * 86400 + 86399
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


class Poster(NamedTuple):
    id: int
    name: str
    avatar: str
    signature: str


class _Thread(NamedTuple):
    """What is fixed about a topic before its posts are written."""

    title: str
    post_ids: tuple[int, ...]
    times: tuple[int, ...]
    posters: tuple[int, ...]  # indexes into the forum's posters


def categories() -> list[Record]:
    """Exactly the `categories` value of GET /forum/boards (SPEC 4.11, recorded forumBoards)."""
    return [
        {
            "title": title,
            "boards": [
                {
                    "id": board_id,
                    "title": board_title,
                    "description": description,
                    "subboards": [{"id": sid, "title": stitle} for sid, stitle in subboards],
                }
                for board_id, board_title, description, subboards in boards
            ],
        }
        for title, boards in FORUM_BOARDS
    ]


def _escape(text: str) -> str:
    """Post text as MAL stores it: HTML special characters as entities, newlines as <br />."""
    text = (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#039;")
    )
    return text.replace("\n", "<br />\n")


def _posters(rng: random.Random, members: Sequence[SandboxUser]) -> list[Poster]:
    names: set[str] = set()
    posters: list[Poster] = []
    ids = rng.sample(range(100_000, 17_000_000), 900)
    for user_id in ids:
        a = USERNAME_PARTS[int(rng.random() * len(USERNAME_PARTS))]
        b = USERNAME_PARTS[int(rng.random() * len(USERNAME_PARTS))]
        r = rng.random()
        name = f"{a}{b}" if r < 0.4 else f"{a}_{b}" if r < 0.55 else f"{a}{b}{int(r * 1000)}"
        if name in names or a == b:
            continue
        names.add(name)
        posters.append(_poster(rng, user_id, name))
    posters.extend(_poster(rng, user.id, user.name) for user in members)
    return posters


def _poster(rng: random.Random, user_id: int, name: str) -> Poster:
    ext = ("jpg", "jpg", "png", "gif")[int(rng.random() * 4)]
    stamp_t = 1_600_000_000 + int(rng.random() * 160_000_000)
    avatar = f"https://api-cdn.myanimelist.net/images/useravatars/{user_id}.{ext}?t={stamp_t}"
    template = SIGNATURES[int(rng.random() * len(SIGNATURES))]
    signature = template.format(n=10_000 + int(rng.random() * 90_000), m=1 + int(rng.random() * 9))
    return Poster(user_id, name, avatar, signature)


def _topic_title(
    rng: random.Random,
    board: int,
    sub: int | None,
    anime_titles: Sequence[tuple[int, str]],
    manga_titles: Sequence[tuple[int, str]],
    created_day: int,
) -> str:
    templates: Sequence[str]
    if board == 19:
        templates = SERIES_TOPIC_TITLES if sub == 1 else MANGA_SERIES_TOPIC_TITLES
    elif board == 17:
        templates = DB_TOPIC_TITLES
    else:
        templates = TOPIC_TITLES[board]
    manga = sub in (4, 5) or board == 2
    pool = manga_titles if manga else anime_titles
    year = date.fromordinal(created_day).year
    month = date.fromordinal(created_day).month
    return templates[int(rng.random() * len(templates))].format(
        t=pool[int(rng.random() ** 2 * len(pool))][1] if pool else "Hoshi no Kaze",
        n=1 + int(rng.random() * 24),
        y=year,
        s=SEASONS[month - 1].capitalize(),
        place=PLACES[int(rng.random() * len(PLACES))],
        w=NOUNS[int(rng.random() * len(NOUNS))][2],
        m=f"{_MONTHS[month - 1]} {1 + int(rng.random() * 28)}",
    )


class ForumPosts(Mapping[int, list[Record]]):
    """topic id -> posts (oldest first), written on first access and kept."""

    def __init__(
        self,
        seed: int,
        threads: dict[int, _Thread],
        posters: list[Poster],
        anime_titles: Sequence[tuple[int, str]],
    ) -> None:
        self._seed = seed
        self._threads = threads
        self._posters = posters
        self._anime_titles = anime_titles
        self._written: dict[int, list[Record]] = {}

    def __getitem__(self, topic_id: int) -> list[Record]:
        posts = self._written.get(topic_id)
        if posts is None:
            posts = self._written[topic_id] = self._write(topic_id, self._threads[topic_id])
        return posts

    def __iter__(self) -> Iterator[int]:
        return iter(self._threads)

    def __len__(self) -> int:
        return len(self._threads)

    def __contains__(self, topic_id: object) -> bool:
        return topic_id in self._threads

    def _write(self, topic_id: int, thread: _Thread) -> list[Record]:
        rng = random.Random(f"malclient-sandbox:{self._seed}:posts:{topic_id}")
        posts: list[Record] = []
        plain: list[str] = []
        for number, (post_id, when, who) in enumerate(
            zip(thread.post_ids, thread.times, thread.posters, strict=True), 1
        ):
            poster = self._posters[who]
            text = self._text(rng, number, thread.title, posts, plain)
            plain.append(text)
            posts.append(
                {
                    "id": post_id,
                    "number": number,
                    "created_at": stamp(when),
                    "created_by": {
                        "id": poster.id,
                        "name": poster.name,
                        # sic: MAL spells it "avator" (SPEC 4.11, recorded forumTopicDetails)
                        "forum_avator": poster.avatar,
                    },
                    "body": _escape(text),
                    "signature": poster.signature,
                }
            )
        return posts

    def _text(
        self,
        rng: random.Random,
        number: int,
        title: str,
        posts: list[Record],
        plain: list[str],
    ) -> str:
        sentences = [
            POST_SENTENCES[int(rng.random() * len(POST_SENTENCES))]
            for _ in range(1 + int(rng.random() * 3))
        ]
        if number == 1 and title.endswith("?"):
            sentences.insert(0, "Curious what everyone thinks.\n")
        r = rng.random()
        if r < 0.1 and posts:
            k = int(rng.random() * len(posts))
            quoted = plain[k].split("\n")[0]
            name = posts[k]["created_by"]["name"]
            sentences.insert(0, f"[quote={name} message={posts[k]['id']}]{quoted}[/quote]\n")
        elif r < 0.15:
            sentences.append(f"\n[spoiler]{POST_SENTENCES[int(rng.random() * 5)]}[/spoiler]")
        elif r < 0.2 and self._anime_titles:
            anime_id, anime_title = self._anime_titles[int(rng.random() * len(self._anime_titles))]
            sentences.append(
                f"\nSee also [url=https://myanimelist.net/anime/{anime_id}]{anime_title}[/url]"
            )
        elif r < 0.25:
            sentences[-1] = f"[b]{sentences[-1]}[/b]"
        return " ".join(sentences).replace("\n ", "\n")


class BuiltForum(NamedTuple):
    categories: list[Record]
    topics: dict[int, Record]
    posts: ForumPosts
    polls: dict[int, Record]


def build_forum(
    seed: int,
    members: Sequence[SandboxUser],
    anime_titles: Sequence[tuple[int, str]],
    manga_titles: Sequence[tuple[int, str]],
) -> BuiltForum:
    """`members` are sandbox users who take part (alice and bob); titles are (id, title), most
    popular first."""
    rng = random.Random(f"malclient-sandbox:{seed}:forum")
    posters = _posters(rng, members)
    synthetic = len(posters) - len(members)
    plans = []
    for board, sub, count in FORUM_TOPIC_COUNTS:
        for _ in range(count):
            day = REF - int(rng.random() ** 1.6 * (REF - _FORUM_START))
            created = (day - EPOCH) * 86400 + int(rng.random() * 86400)
            title = _topic_title(rng, board, sub, anime_titles, manga_titles, day)
            r = rng.random()
            if r < 0.18:
                replies = 0
            elif r < 0.99:
                replies = int(rng.expovariate(1 / 12))
            else:
                replies = 100 + int(rng.random() * 500)
            r = rng.random()
            if r < 0.006 and members:
                creator = synthetic
            elif r < 0.009 and len(members) > 1:
                creator = synthetic + 1
            else:
                creator = int(rng.random() * synthetic)
            posters_of = [creator]
            times = [created]
            when = created
            for _ in range(replies):
                when = min(_REF_SECONDS, when + 60 + int(rng.expovariate(1.0) * 3600 * 9))
                times.append(when)
                r = rng.random()
                if r < 0.15:
                    posters_of.append(creator)
                elif r < 0.165 and members:
                    posters_of.append(synthetic + int(rng.random() * len(members)))
                else:
                    posters_of.append(int(rng.random() * synthetic))
            plans.append((created, board, sub, title, times, posters_of))
    plans.sort(key=lambda plan: plan[0])
    # Ids grow with time, as MAL's do: 7-digit topics, 8-digit posts.
    topic_ids = sorted(rng.sample(range(1_000_000, 2_200_000), len(plans)))
    all_posts = sorted(
        (when, index, k) for index, plan in enumerate(plans) for k, when in enumerate(plan[4])
    )
    post_ids: list[list[int]] = [[0] * len(plan[4]) for plan in plans]
    next_id = 10_000_000
    gap = max(2, 2 * 60_000_000 // max(1, len(all_posts)))
    for _, index, k in all_posts:
        next_id += 1 + int(rng.random() * gap)
        post_ids[index][k] = next_id
    topics: dict[int, Record] = {}
    threads: dict[int, _Thread] = {}
    polls: dict[int, Record] = {}
    poll_id = 300_000
    option_id = 1_500_000
    for topic_id, plan, ids in zip(topic_ids, plans, post_ids, strict=True):
        created, board, sub, title, times, posters_of = plan
        first, last = posters[posters_of[0]], posters[posters_of[-1]]
        locked_share = 0.6 if board in (5, 14) else 0.03
        locked = rng.random() < locked_share
        topics[topic_id] = {
            "id": topic_id,
            "title": title,
            "created_at": stamp(created),
            "number_of_posts": len(times) - 1,
            "last_post_created_at": stamp(times[-1]),
            "is_locked": locked,
            "created_by": {"id": first.id, "name": first.name},
            "last_post_created_by": {"id": last.id, "name": last.name},
            "_board_id": board,
            "_subboard_id": sub,
            "_user_names": {posters[i].name for i in posters_of},
        }
        threads[topic_id] = _Thread(title, tuple(ids), tuple(times), tuple(posters_of))
        if rng.random() < 0.05 or title.startswith("Poll:"):
            poll_id += 1 + int(rng.random() * 40)
            options = []
            for k in range(2 + int(rng.random() * 8)):
                option_id += 1
                options.append(
                    {"id": option_id, "text": POLL_OPTIONS[k], "votes": int(rng.random() * 80)}
                )
            option_id += 1 + int(rng.random() * 20)
            polls[topic_id] = {
                "id": poll_id,
                "question": title,
                "closed": locked or rng.random() < 0.2,
                "options": options,
            }
    return BuiltForum(categories(), topics, ForumPosts(seed, threads, posters, anime_titles), polls)
