"""A cheap guess of a sentence's language (kk / ru / en), Kazakh typed in Russian letters too.

Used only to weigh endings that two languages share, never to gate matching as a whole:
articles quote the other language.
"""

from __future__ import annotations

from collections.abc import Iterable

from matching.translit import KAZAKH_LETTERS

_KK_LIST = """
    мен пен бен және жане деп бұл бул осы сол туралы бойынша үшін ушин жыл жылы жылға жылга
    сот соты жаза айып екі еки бір бир үш уш емес бар жоқ жок ол олар біз биз сіз сиз керек
    қазір казир кейін кейин бері бери дейін дейин арқылы аркылы бірге бирге тағы тагы да де
    ма ме ғой гой ғана гана қарсы карсы қатысты катысты дейді дейди алдында кезде шейін бірақ
    бирак сондай сонымен түрме турме жылға сотталды берилди берілді жауапқа жауапка
"""
_KK_WORDS = frozenset(_KK_LIST.split())
_KK_TAILS_LIST = """
лды лди лді рды рди рді нды нди нді йды йди йді тты тти тті кты кти кті пты пти пті ған ген
қан кен тын дын нын лары лери лері дары дери дері тары тери тері ларды лерди лерді ында инде
інде ынан инен
"""
_KK_TAILS = tuple(_KK_TAILS_LIST.split())
_RU_LIST = """
    и в во на не что с со по к ко из за о об от до для у это как а но он она они его ее её их
    был была были было также при после без под над чем или уже так же бы ли этот эта эти
    который которая которые которых года лет его ему ней них всех над через
"""
_RU_WORDS = frozenset(_RU_LIST.split())
_RU_TAILS_LIST = """
ого его ому ему ыми ими ая яя ое ые ый ий ться тся ение ание ости ость ией ями ами ует ают
яют ил ила ило или ала ало али ела ели ыла ыли ёл
"""
_RU_TAILS = tuple(_RU_TAILS_LIST.split())
_EN_LIST = "the a an of and to in was is for on with by said from that has have had were are at"
_EN_WORDS = frozenset(_EN_LIST.split())
FUNCTION_WORDS = _KK_WORDS | _RU_WORDS | _EN_WORDS


def guess(words: Iterable[str]) -> str | None:
    """The language ("kk", "ru", "en") of a sentence's cleaned words; None without evidence."""
    kk = ru = en = 0
    for w in words:
        low = w.lower()
        if not KAZAKH_LETTERS.isdisjoint(low):
            kk += 2
            continue
        if low.isascii():
            if low in _EN_WORDS:
                en += 1
            continue
        if low in _KK_WORDS:
            kk += 1
        elif low in _RU_WORDS:
            ru += 1
        elif len(low) >= 5 and low.endswith(_KK_TAILS):
            kk += 1
        elif len(low) >= 4 and low.endswith(_RU_TAILS):
            ru += 1
    best = max(kk, ru, en)
    if best == 0:
        return None
    winners = [lang for lang, n in (("kk", kk), ("ru", ru), ("en", en)) if n == best]
    return winners[0] if len(winners) == 1 else None
