"""Benchmark of watched-name matching: 10 / 1,000 / 10,000 person entities over generated articles.

    .venv/bin/python bench/matching.py            # full: 2,000 articles, regex on 5
    .venv/bin/python bench/matching.py --quick    # 300 articles, regex on 2

Articles are ~600 tokens of mixed Kazakh / Russian / English sentences with inflected mentions
of watched people (some watched at every size, some only in the larger watchlists) and of
people nobody watches. Measured in the same run:
- compile time per watchlist size;
- per-article match time with the per-token cache warm (steady state of a service) and cold
  (every cache emptied before each article: every token normalised and looked up afresh);
- the baseline: one regex alternation of the very forms the index recognises, run over the
  same normalised token keys, on a subset of the articles (it is far too slow for all).
Targets: match(10,000) <= 1.5x match(10); >= 100x faster than the regex at 10,000; compiling
10,000 entities < 10 s.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# This file is called matching.py: keep its folder off the path so `import matching` finds
# the package, not this script.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from matching import EntitySpec, Watchlist, compile_watchlist  # noqa: E402
from matching.normalise import TOKEN_RE, clean  # noqa: E402
from matching.translit import key  # noqa: E402

_GIVEN_M = (
    "Ерлан Нұрлан Асқар Серік Бауыржан Дархан Қайрат Марат Мұрат Айдос Арман Ержан Талғат "
    "Данияр Болат Қанат Ермек Олжас Руслан Тимур Сергей Андрей Дмитрий Алексей Игорь Николай"
)
GIVEN_M = _GIVEN_M.split()
_GIVEN_F = (
    "Айгерім Гүлнар Жансая Динара Мадина Сәуле Салтанат Әсел Аружан Меруерт Анна Мария "
    "Наталья Ольга Елена Ирина Светлана Татьяна Юлия Лариса"
)
GIVEN_F = _GIVEN_F.split()
_ROOTS_1 = (
    "Аман Бек Жан Нұр Сейіт Ораз Тоқ Құл Есен Қайыр Мұхам Жұма Сәр Төле Әбіл Сыр Қас Ерм Тұр "
    "Әлім Дос Мақ Сұлт Шын Бақ Айт Қар Сағ Тас Жақ Мол Кен Ораз Өтеп Иман Ахмет Қали Мұрат Сәт "
    "Бол Ерж Тілеу Шал Ұзақ Жол Сер Қуан Сап Әди Мар Ел Жар Бат Құд Нұрм Ақ Қыз Бай Ахмед Раш"
)
ROOTS_1 = _ROOTS_1.split()
_ROOTS_2 = (
    "баев беков ғалиев жанов тов ов ев ин ұлы бай құлов сейітов мұратов келдиев ханов тасов "
    "бергенов ғазин жанұлы ский"
)
ROOTS_2 = _ROOTS_2.split()
FEMININE = {"ов": "ова", "ев": "ева", "ин": "ина", "ский": "ская"}

_KK_WORDS = (
    "сот кәсіподақ жетекшісі айып тағылды мәлімдеме жасады құқық қорғаушылар бақылады жыл "
    "бойы қала әкімдігі жұмысшылар ереуіл жариялады билік келіссөз жүргізді бүгін кеше үкімет "
    "заң жобасы қабылданды мұнай компаниясы жалақы көтеру талап етті полиция ұстады тергеу "
    "жүріп жатыр аудан тұрғындары наразылық білдірді және мен бұл туралы бойынша үшін"
)
KK_WORDS = _KK_WORDS.split()
_RU_WORDS = (
    "суд профсоюз лидер обвинение предъявлено заявил сообщил правозащитники по делу в году "
    "рабочие объявили забастовку власти переговоры провели сегодня вчера правительство закон "
    "принят нефтяная компания зарплата требование полиция задержала следствие продолжается "
    "жители района выразили протест и в на с что это как также после при"
)
RU_WORDS = _RU_WORDS.split()
_EN_WORDS = (
    "the court union leader was charged said rights defenders monitored the case year city "
    "workers went on strike authorities held talks today yesterday government law passed oil "
    "company wages demand police detained investigation continues residents protested and of "
    "to in for with by from that on"
)
EN_WORDS = _EN_WORDS.split()

LATIN = str.maketrans(
    {
        "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e",
        "ж": "zh", "з": "z", "и": "i", "й": "y", "і": "i", "к": "k", "қ": "q", "л": "l",
        "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s",
        "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya",
    }
)  # fmt: skip


MAX_RATIO = 1.5  # cost per article at the largest watchlist over the cost at the smallest


def latin(word: str) -> str:
    out = word.lower().translate(LATIN)
    return out[:1].upper() + out[1:]


def surname_pool(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """n distinct (surname, gender) pairs: root + root + suffix, a fifth of them women's."""
    pool: set[tuple[str, str]] = set()
    while len(pool) < n:
        a, b, c = rng.choice(ROOTS_1), rng.choice(ROOTS_1).lower(), rng.choice(ROOTS_2)
        surname, gender = a + b + c, "m"
        feminine = next(((m, f) for m, f in FEMININE.items() if c.endswith(m)), None)
        if feminine and rng.random() < 0.25:
            masc, fem = feminine
            surname, gender = a + b + c[: -len(masc)] + fem, "f"
        pool.add((surname, gender))
    out = sorted(pool)
    rng.shuffle(out)
    return out


def make_people(rng: random.Random, n: int) -> tuple[list[EntitySpec], list[tuple[str, str]]]:
    """n watched people and the rest of the pool as people nobody watches."""
    pool = surname_pool(rng, 2 * n)
    people = []
    for surname, gender in pool:
        given = rng.choice(GIVEN_F if gender == "f" else GIVEN_M)
        people.append((given, surname))
    specs = [
        EntitySpec(
            id=f"p{i:05d}",
            kind="person",
            name=f"{latin(g)} {latin(s)}",
            aliases=(f"{g} {s}",),
            match="full_name" if i % 7 == 0 else "surname",
        )
        for i, (g, s) in enumerate(people[:n])
    ]
    return specs, people[n:]


def inflect(surname: str, lang: str, rng: random.Random) -> str:
    if lang == "en":
        return latin(surname) + rng.choice(("", "", "'s"))
    last = surname[-1]
    if lang == "kk":
        if surname.endswith("ұлы"):
            return surname + rng.choice(("", "ның", "на", "н"))
        if last == "в":
            return surname + rng.choice(("", "тың", "тің", "қа", "ке", "ты", "та", "пен"))
        if last == "а":
            return surname + rng.choice(("", "ның", "ға", "ны", "да", "дан", "мен"))
        if last == "н":
            return surname + rng.choice(("", "нің", "ға", "ді", "мен"))
        return surname + rng.choice(("", "дың", "ға", "ды", "мен"))
    if surname.endswith(("ов", "ев", "ин")):
        return surname + rng.choice(("", "а", "у", "ым", "е"))
    if surname.endswith(("ова", "ева", "ина")):
        return surname[:-1] + rng.choice(("а", "ой", "у"))
    if surname.endswith("ский"):
        return surname[:-2] + rng.choice(("ий", "ого", "ому", "им"))
    if surname.endswith("ская"):
        return surname[:-2] + rng.choice(("ая", "ой", "ую"))
    if surname.endswith("ай"):
        return surname[:-1] + rng.choice(("й", "я", "ю", "ем"))
    return surname


def mention(person: tuple[str, str], lang: str, rng: random.Random) -> str:
    given, surname = person
    form = inflect(surname, lang, rng)
    if rng.random() < 0.5:
        return form
    return f"{latin(given) if lang == 'en' else given} {form}"


def article(rng: random.Random, watched: list[tuple[str, str]], unwatched: list[tuple[str, str]]) -> str:
    main = rng.choice(("kk", "ru", "en"))
    vocab = {"kk": KK_WORDS, "ru": RU_WORDS, "en": EN_WORDS}
    sentences, tokens = [], 0
    while tokens < 600:
        lang = main if rng.random() < 0.85 else rng.choice(("kk", "ru", "en"))
        words = [rng.choice(vocab[lang]) for _ in range(rng.randint(8, 20))]
        roll = rng.random()
        if roll < 0.12:
            words.insert(rng.randrange(len(words)), mention(rng.choice(watched), lang, rng))
        elif roll < 0.35:
            words.insert(rng.randrange(len(words)), mention(rng.choice(unwatched), lang, rng))
        words[0] = words[0][:1].upper() + words[0][1:]
        tokens += len(words)
        sentences.append(" ".join(words) + ".")
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return "\n\n".join(paragraphs)


def interleaved(
    fns: list[Callable[[str], object]], texts: list[str], before: list[Callable[[], None]]
) -> list[float]:
    """Median seconds per article of each fn, taking turns article by article so that
    load from other processes on the machine falls on every fn alike."""
    times: list[list[float]] = [[] for _ in fns]
    for n, text in enumerate(texts):
        for k in range(len(fns)):
            turn = (n + k) % len(fns)  # who goes first changes too
            before[turn]()
            t0 = time.perf_counter()
            fns[turn](text)
            times[turn].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def nothing() -> None:
    return None


def clear_all(wl: Watchlist) -> Callable[[], None]:
    def clear() -> None:
        wl.clear_cache()
        key.cache_clear()
        clean.cache_clear()

    return clear


def regex_baseline(wl: Watchlist) -> tuple[Callable[[str], object], float]:
    """One alternation of every indexed form over the article's token keys; compile seconds."""
    forms = sorted(wl.forms(), key=len, reverse=True)
    t0 = time.perf_counter()
    rx = re.compile(r"\b(?:" + "|".join(map(re.escape, forms)) + r")\b")
    compile_s = time.perf_counter() - t0

    def run(text: str) -> object:
        keys = " ".join(key(clean(t)) for t in TOKEN_RE.findall(text))
        return rx.findall(keys)

    return run, compile_s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="300 articles, regex on 2")
    ap.add_argument("--articles", type=int, help="articles to match (default 2000)")
    ap.add_argument("--regex-articles", type=int, help="articles for the regex (default 5)")
    ap.add_argument("--cold-articles", type=int, help="articles for cold-cache runs (default 300)")
    ap.add_argument("--sizes", default="10,1000,10000", help="watchlist sizes")
    ap.add_argument("--seed", type=int, default=20170516)
    args = ap.parse_args()
    n_articles = args.articles or (300 if args.quick else 2000)
    n_regex = args.regex_articles or (2 if args.quick else 5)
    n_cold = args.cold_articles or (100 if args.quick else 300)
    sizes = [int(s) for s in args.sizes.split(",")]

    rng = random.Random(args.seed)
    specs, unwatched = make_people(rng, max(sizes))
    # Half the mentions are of the first 10 people, watched at every size; the other half of
    # people watched only in the larger lists, so those lists also find more.
    people = [(s.aliases[0].split()[0], s.aliases[0].split()[1]) for s in specs]
    watched = people[:10] * (len(people) // 10) + people
    t0 = time.perf_counter()
    texts = [article(rng, watched, unwatched) for _ in range(n_articles)]
    tokens = statistics.mean(len(TOKEN_RE.findall(t)) for t in texts)
    print(
        f"{n_articles} articles, {tokens:.0f} tokens each on average "
        f"(generated in {time.perf_counter() - t0:.1f} s)"
    )

    results: dict[int, dict[str, float]] = {n: {} for n in sizes}
    lists: dict[int, Watchlist] = {}
    for n in sizes:
        key.cache_clear()
        clean.cache_clear()
        t0 = time.perf_counter()
        lists[n] = compile_watchlist(specs[:n])
        results[n]["compile"] = time.perf_counter() - t0
    wls = [lists[n] for n in sizes]
    for wl in wls:
        for text in texts[:50]:  # warm-up, excluded from the figures
            wl.match(text)
    warm = interleaved([wl.match for wl in wls], texts, [nothing] * len(wls))
    cold = interleaved([wl.match for wl in wls], texts[:n_cold], [clear_all(wl) for wl in wls])
    for n, w, c in zip(sizes, warm, cold, strict=True):
        results[n]["warm"], results[n]["cold"] = w, c
    for n, wl in zip(sizes, wls, strict=True):
        mentions = sum(len(wl.match(t)) for t in texts) / len(texts)
        run, regex_compile = regex_baseline(wl)
        regex = interleaved([run], texts[:n_regex], [nothing])[0]
        results[n]["regex"] = regex
        r = results[n]
        print(
            f"{n:>6} entities: compile {r['compile']:5.2f} s | match: warm cache "
            f"{r['warm'] * 1e3:6.3f} ms, cold {r['cold'] * 1e3:6.3f} ms per article, "
            f"{mentions:.1f} mentions | regex of {len(wl.forms()):,} forms: compile "
            f"{regex_compile:5.2f} s, {regex * 1e3:8.1f} ms per article (on {n_regex})"
        )

    verdicts = []
    small, large = min(sizes), max(sizes)
    if small != large:
        for mode in ("warm", "cold"):
            ratio = results[large][mode] / results[small][mode]
            label = f"match at {large:,} / at {small:,} entities ({mode} cache) <= {MAX_RATIO}"
            verdicts.append((label, ratio, ratio <= MAX_RATIO))
    speedup = results[large]["regex"] / results[large]["warm"]
    verdicts.append((f"regex / match at {large:,} entities >= 100 (warm)", speedup, speedup >= 100))
    speedup_cold = results[large]["regex"] / results[large]["cold"]
    verdicts.append((f"regex / match at {large:,} entities >= 100 (cold)", speedup_cold, speedup_cold >= 100))
    compile_large = results[large]["compile"]
    verdicts.append((f"compile {large:,} entities < 10 s", compile_large, compile_large < 10))
    print()
    for label, value, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {label}: {value:.2f}")
    return 0 if all(ok for _, _, ok in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
