"""Names for the synthetic catalogue: franchise base titles and the titles of their members.

Pure functions over a caller's `random.Random`; no record building, no dates.
"""

from __future__ import annotations

import random

from malclient.sandbox._gen_words import (
    ADJECTIVES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    KANJI_NUMBERS,
    KATAKANA,
    NOUNS,
    ORDINALS,
    ROMAN,
    SONG_WORDS,
    SUBTITLES,
)

Name = tuple[str, str, str]  # romaji title, Japanese title, English title ("" when none)


def _pick(rng: random.Random, seq: tuple[Name, ...]) -> Name:
    return seq[int(rng.random() * len(seq))]


def _two_nouns(rng: random.Random) -> tuple[Name, Name]:
    a = NOUNS[int(rng.random() * len(NOUNS))]
    b = NOUNS[int(rng.random() * len(NOUNS))]
    while b is a:
        b = NOUNS[int(rng.random() * len(NOUNS))]
    return a, b


def _katakana(rng: random.Random) -> tuple[str, str]:
    return KATAKANA[int(rng.random() * len(KATAKANA))]


def _base_candidate(rng: random.Random) -> Name:
    r = rng.random()
    if r < 0.28:
        a, b = _two_nouns(rng)
        return f"{a[0]} no {b[0]}", f"{a[1]}の{b[1]}", f"The {b[2]} of {a[2]}"
    if r < 0.42:
        a, b = _two_nouns(rng)
        return f"{a[0]} {b[0]}", f"{a[1]}{b[1]}", f"{a[2]} {b[2]}"
    if r < 0.48:
        a, b = _two_nouns(rng)
        return (
            f"{a[0]} ni Tensei shitara {b[0]} datta Ken",
            f"{a[1]}に転生したら{b[1]}だった件",
            f"That Time I Got Reincarnated in the {a[2]} as a {b[2]}",
        )
    if r < 0.53:
        a, b = _two_nouns(rng)
        adj = ADJECTIVES[int(rng.random() * len(ADJECTIVES))]
        return (
            f"Ore no {a[0]} ga Konna ni {adj[0]} Wake ga Nai",
            f"俺の{a[1]}がこんなに{adj[1]}わけがない",
            f"My {a[2]} Can't Be This {adj[2]}!",
        )
    if r < 0.57:
        a, b = _two_nouns(rng)
        return (
            f"{a[0]} no {b[0]} wa Kokurasetai",
            f"{a[1]}の{b[1]}は告らせたい",
            f"The {b[2]} of the {a[2]} Wants to Be Confessed To",
        )
    if r < 0.70:
        e1, e2 = _katakana(rng), _katakana(rng)
        while e2 is e1:
            e2 = _katakana(rng)
        return f"{e1[0]} {e2[0]}", f"{e1[1]}・{e2[1]}", ""
    if r < 0.74:
        e1 = _katakana(rng)
        bang = "!!" if rng.random() < 0.5 else "!"
        return f"{e1[0]}{bang}", f"{e1[1]}{bang}", ""
    if r < 0.78:
        g = GIVEN_NAMES[int(rng.random() * len(GIVEN_NAMES))]
        adj = ADJECTIVES[int(rng.random() * len(ADJECTIVES))]
        return f"{g[0]}-san wa {adj[0]}", f"{g[1]}さんは{adj[1]}", f"{g[0]} Is {adj[2]}"
    if r < 0.82:
        # MAL titles carry symbols: "Hunter x Hunter"-like crosses, "Fate/…"-like slashes and
        # ampersands — good material for clients' escaping (SPEC 1: "/" is sent as "\/").
        e1, e2 = _katakana(rng), _katakana(rng)
        sep = ("×", "/", " & ")[int(rng.random() * 3)]
        ja_sep = "&" if sep == " & " else sep
        return f"{e1[0]}{sep}{e2[0]}", f"{e1[1]}{ja_sep}{e2[1]}", ""
    if r < 0.85:
        a, b = _two_nouns(rng)
        return f'"{a[0]}" no {b[0]}', f"【{a[1]}】の{b[1]}", f'The "{a[2]}" {b[2]}'
    if r < 0.88:
        a = NOUNS[int(rng.random() * len(NOUNS))]
        return f"{a[0]}△", f"{a[1]}△", ""
    if r < 0.93:
        n = 2 + int(rng.random() * 98)
        if rng.random() < 0.5:
            return f"{n} Days", f"{n} Days", ""
        a = NOUNS[int(rng.random() * len(NOUNS))]
        return f"{n}-nin no {a[0]}", f"{n}人の{a[1]}", f"The {n} {a[2]}"
    g1 = GIVEN_NAMES[int(rng.random() * len(GIVEN_NAMES))]
    g2 = GIVEN_NAMES[int(rng.random() * len(GIVEN_NAMES))]
    return f"{g1[0]}-kun to {g2[0]}-chan", f"{g1[1]}くんと{g2[1]}ちゃん", f"{g1[0]} and {g2[0]}"


def base_name(rng: random.Random, used: set[str]) -> Name:
    """A franchise title not used before (by romaji title)."""
    for _ in range(12):
        name = _base_candidate(rng)
        if name[0] not in used:
            used.add(name[0])
            return name
    # The space of two-word titles is large but finite; a third word always frees one.
    while True:
        title, ja, en = _base_candidate(rng)
        c = NOUNS[int(rng.random() * len(NOUNS))]
        name = (f"{title} to {c[0]}", f"{ja}と{c[1]}", f"{en} and the {c[2]}" if en else "")
        if name[0] not in used:
            used.add(name[0])
            return name


def synonyms(rng: random.Random, name: Name) -> list[str]:
    r = rng.random()
    if r < 0.45:
        return []
    words = [w for w in name[0].replace("-", " ").split() if w[:1].isalpha()]
    initials = "".join(w[0].upper() if i == 0 or len(w) > 2 else w[0] for i, w in enumerate(words))
    if r < 0.75 and len(initials) >= 2:
        return [initials]
    if name[2]:
        return [name[2].replace("The ", "", 1)]
    return [initials] if len(initials) >= 2 else []


def season(base: Name, k: int, style: int, rng: random.Random) -> Name:
    """The k-th (k >= 2) TV season of a franchise, in one of MAL's usual naming styles."""
    title, ja, en = base
    en_k = f"{en} Season {k}" if en else ""
    if k > 10 or style == 1:
        return f"{title} Season {k}", f"{ja} 第{k}期", en_k
    if style == 0:
        return f"{title} {ORDINALS[k]} Season", f"{ja} 第{KANJI_NUMBERS[k]}期", en_k
    if style == 2:
        return f"{title} {ROMAN[k]}", f"{ja} {ROMAN[k]}", f"{en} {ROMAN[k]}" if en else ""
    if style == 3:
        sub = _pick(rng, SUBTITLES)
        return f"{title}: {sub[0]}-hen", f"{ja} {sub[1]}編", f"{en}: {sub[2]} Arc" if en else ""
    # Symbol style ("Gintama°", "5-toubun no Hanayome ∬") for the second season only.
    if k == 2:
        mark = ("°", " ∬", "'")[int(rng.random() * 3)]
        return f"{title}{mark}", f"{ja}{mark.strip()}", f"{en} Season 2" if en else ""
    return f"{title} Season {k}", f"{ja} 第{k}期", en_k


def part_two(previous: Name) -> Name:
    title, ja, en = previous
    return f"{title} Part 2", f"{ja} 第2クール", f"{en} Part 2" if en else ""


def final_season(base: Name) -> Name:
    title, ja, en = base
    return (
        f"{title}: The Final Season",
        f"{ja} The Final Season",
        f"{en}: The Final Season" if en else "",
    )


def movie(base: Name, index: int, rng: random.Random) -> Name:
    title, ja, en = base
    if index == 1 and rng.random() < 0.4:
        return f"{title}: The Movie", f"劇場版 {ja}", f"{en}: The Movie" if en else ""
    sub = _pick(rng, SUBTITLES)
    if rng.random() < 0.3:
        return f"Gekijouban {title}: {sub[0]}", f"劇場版 {ja} {sub[1]}", ""
    return (
        f"{title} Movie {index}: {sub[0]}",
        f"劇場版 {ja} {sub[1]}",
        f"{en} the Movie {index}: {sub[2]}" if en else "",
    )


def ova(base: Name, index: int, rng: random.Random) -> Name:
    title, ja, en = base
    if index == 1:
        return f"{title} OVA", f"{ja} OVA", f"{en} OVA" if en else ""
    sub = _pick(rng, SUBTITLES)
    return f"{title}: {sub[0]} OVA", f"{ja} {sub[1]} OVA", f"{en}: {sub[2]} OVA" if en else ""


def specials(parent: Name) -> Name:
    title, ja, en = parent
    return f"{title} Specials", f"{ja} 特別編", f"{en} Specials" if en else ""


def recap(parent: Name, rng: random.Random) -> Name:
    title, ja, en = parent
    if rng.random() < 0.5:
        return f"{title} Recap", f"{ja} 総集編", f"{en} Recap" if en else ""
    return f"{title}: Soushuuhen", f"{ja} 総集編", f"{en}: Recap" if en else ""


def spin_off(base: Name, rng: random.Random) -> tuple[Name, bool]:
    """A spin-off title and whether it is a chibi ("Mini", "Petit") spin-off."""
    title, ja, en = base
    r = rng.random()
    if r < 0.25:
        return (f"{title} Mini", f"{ja} ミニ", f"{en} Mini" if en else ""), True
    if r < 0.4:
        return (f"{title} Petit", f"ぷち{ja}", f"{en} Petit" if en else ""), True
    if r < 0.75:
        sub = _pick(rng, SUBTITLES)
        return (
            f"{title} Gaiden: {sub[0]}",
            f"{ja}外伝 {sub[1]}",
            f"{en} Side Story: {sub[2]}" if en else "",
        ), False
    g = GIVEN_NAMES[int(rng.random() * len(GIVEN_NAMES))]
    return (f"{title}: {g[0]}-hen", f"{ja} {g[1]}編", f"{en}: {g[0]}'s Story" if en else ""), False


def music(base: Name, rng: random.Random) -> Name:
    song = SONG_WORDS[int(rng.random() * len(SONG_WORDS))]
    return f"{base[0]}: {song[0]}", f"{base[1]} {song[1]}", ""


def promo(parent: Name, kind: str) -> Name:
    return f"{parent[0]} {kind}", f"{parent[1]} {kind}", ""


def remake(base: Name, year: int) -> Name:
    title, ja, en = base
    return f"{title} ({year})", f"{ja} ({year})", f"{en} ({year})" if en else ""


def manga_sequel(base: Name, k: int, rng: random.Random) -> Name:
    title, ja, en = base
    r = rng.random()
    if k == 2 and r < 0.3:
        return f"Shin {title}", f"新{ja}", f"New {en}" if en else ""
    if r < 0.6:
        return f"{title} Part {k}", f"{ja} 第{k}部", f"{en} Part {k}" if en else ""
    return f"{title} {ROMAN[min(k, 10)]}", f"{ja} {ROMAN[min(k, 10)]}", ""


def manga_side(base: Name, rng: random.Random) -> Name:
    title, ja, en = base
    sub = _pick(rng, SUBTITLES)
    if rng.random() < 0.4:
        return f"{title} Gaiden", f"{ja} 外伝", f"{en} Side Story" if en else ""
    return f"{title}: {sub[0]}", f"{ja} {sub[1]}", f"{en}: {sub[2]}" if en else ""


def manga_anthology(base: Name) -> Name:
    title, ja, en = base
    return (
        f"{title} Koushiki Anthology Comic",
        f"{ja} 公式アンソロジーコミック",
        f"{en} Official Anthology" if en else "",
    )


def manga_arc(base: Name, rng: random.Random) -> Name:
    title, ja, en = base
    sub = _pick(rng, SUBTITLES)
    return f"{title}: {sub[0]}-hen", f"{ja} {sub[1]}編", f"{en}: {sub[2]} Arc" if en else ""


def pilot(base: Name) -> Name:
    title, ja, en = base
    return f"{title} (Pilot)", f"{ja} 読切", f"{en} (Pilot)" if en else ""


def person(person_id: int) -> tuple[str, str]:
    """(first name, last name) in MAL's romanisation, always the same for an id."""
    given = GIVEN_NAMES[person_id % len(GIVEN_NAMES)]
    family = FAMILY_NAMES[(person_id // len(GIVEN_NAMES)) % len(FAMILY_NAMES)]
    return given[0], family[0]
