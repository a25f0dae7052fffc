"""Watched-name matching in Kazakh, Russian and English news text (pure: no I/O).

wl = compile_watchlist([EntitySpec("kharkova", "person", "Larisa Kharkova",
                                   aliases=("Лариса Харькова",), match="full_name")])
wl.match("Лариса Харьковаға қарсы қылмыстық іс қозғалды.")
"""

from matching.compile import compile_watchlist
from matching.engine import Watchlist
from matching.sentences import sentence_span
from matching.spec import EntitySpec, Mention, entity_fingerprint

__all__ = [
    "EntitySpec",
    "Mention",
    "Watchlist",
    "compile_watchlist",
    "entity_fingerprint",
    "sentence_span",
]
