"""Who wrote an article: bylines split into names, the outlet itself and its desks dropped.

An author is whoever the page credits: a person, or a news agency whose story the outlet
runs ("Associated Press" on VOA, "dpa" on Stuttgarter Zeitung). Not an author: the outlet
itself (its site name, publisher, host or handle, however spelt: "Der Postillon" on
der-postillon.com, "n-tv NACHRICHTEN" on n-tv.de), its desks and services ("RFE/RL's
Kazakh Service", "Редакция"), job titles, places and web addresses.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

# Wire services: bylines that are organisations and still say who wrote the story.
AGENCIES = frozenset(
    n.casefold()
    for n in (
        "AP", "Associated Press", "AFP", "Agence France-Presse", "Reuters", "dpa",
        "Deutsche Presse-Agentur", "APA", "SDA", "Keystone-SDA", "KNA", "epd", "SID", "ANSA",
        "EFE", "Europa Press", "Xinhua", "TASS", "ТАСС", "Interfax", "Интерфакс", "RIA Novosti",
        "РИА Новости", "Kazinform", "Казинформ", "Қазинформ", "KazTAG", "КазТАГ", "PAP", "ČTK",
        "UPI", "Bloomberg", "Anadolu", "Anadolu Ajansı", "Yonhap", "Kyodo", "Jiji", "PTI",
        "IANS", "AAP", "NTB", "TT", "Ritzau", "STT", "Belga", "ANP", "Lusa", "BTA", "MTI",
        "Ukrinform", "Укрінформ", "УНИАН", "UNIAN",
    )
)
# Desks, services and roles: an outlet's name for itself or a job, never a person.
_DESK = re.compile(
    r"(?i)(\bservices?\b|\bstaff\b|\bdesk\b|\bnewsroom\b|\beditor(s|ial)?\b|\bredak|\bréda"
    r"|\bredac|\bredaz|\bnews\b|\bradio\b|\btv\b|\bonline\b|\bdigital\b|\bdeveloper\b"
    r"|\breporters?\b|\bwriters?\b|\bcorrespondents?\b|\bcontributors?\b|\bjournalist"
    r"|редакци|служб|радио|азаттық|азаттык|қызмет|новост|жаңалық|настоящее время"
    r"|\bcurrent time\b|телеканал|корреспондент|тілші)"
)
# Where a byline lists several names ("A, B und C", "A / B", "A - RFE/RL").
_SPLIT = re.compile(
    r"\s*(?:[,;/|&+·•]|\s[-–—]\s|(?<=\s)(?:and|und|и|і|та|және|мен|og|och|en|et|e|y|i|a|ve|ja|és)"
    r"(?=\s))\s*"
)
# "By …", "Von …", "Автор: …" before the names; also mid-byline ("Capital Von Jemima Kelly").
_BY = r"(?:by|von|par|por|di|door|av|af|autor|autorin|автор|авторы|text|texte|written by)"
_LEAD = re.compile(rf"(?i)^{_BY}\b[:\s]*")
_INNER = re.compile(r"\s(?:By|Von|Par|Por|Door|Av)\s+(?!(?i:der|den|de|la|le|del|van|zu)\s)(?=\S+\s+\S)")
# Korean and Japanese bylines end in the role: "신현주 기자" (reporter), "松岡大地 記者".
_ROLE_SUFFIX = re.compile(r"\s*(?:기자|특파원|記者|特派員|编辑)$")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WEB = re.compile(r"(?i)\b(?:https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)|@\w+")
_DOMAIN = re.compile(r"(?i)\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b")
# Name particles written in lower case: "Chus del Pino", "Fouzia van der Fort".
_PARTICLES = frozenset({
    "de", "del", "della", "dei", "di", "da", "das", "do", "dos", "du", "van", "von", "der",
    "den", "ter", "ten", "te", "la", "le", "lo", "bin", "ibn", "al", "el", "y", "zu", "zum",
    "af", "av", "op",
})
_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_'’.]|[-'’][^\W\d_])*\.?$")
_UNCASED = re.compile(r"[\u0600-\u06ff\u0900-\u0dff\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_ALNUM = re.compile(r"[\W_]+")
_GENERIC_SLD = frozenset({"co", "com", "org", "net", "ac", "gov", "or", "ne"})


def _squash(text: str) -> str:
    return _ALNUM.sub("", text.casefold())


@dataclass(frozen=True)
class Outlet:
    """The names a page gives its own outlet (og:site_name, publisher, host, handle)."""

    names: frozenset[str]  # squashed: "stuttgarterzeitung", "ntv", "ntvde"

    @classmethod
    def of(cls, url: str, *names: str | None) -> Outlet:
        keys = {_squash(n) for n in names if n} | _host_keys(urlsplit(url).hostname or "")
        for name in names:
            if name and name.casefold().startswith("the "):
                keys.add(_squash(name[4:]))
        return cls(frozenset(k for k in keys if k))

    def is_domain(self, domain: str) -> bool:
        return bool(_host_keys(domain) & self.names)

    def learn(self, bylines: Iterable[str]) -> Outlet:
        """Also the names bylines give with the outlet's own address: "Deutsche Welle" of
        "Deutsche Welle (www.dw.com)" on dw.com."""
        learnt = set(self.names)
        for raw in bylines:
            learnt |= {_squash(p.replace(_OWN, "")) for p in _parts(raw, self) if _OWN in p}
        learnt.discard("")
        return Outlet(frozenset(learnt))

    def is_outlet(self, name: str) -> bool:
        squashed = _squash(name)
        if squashed in self.names or _squash(re.sub(r"(?i)^the\s+", "", name)) in self.names:
            return True
        # "MDR SACHSEN-ANHALT", "ORF.at" on orf.at: the outlet's name leads the byline.
        first = _squash(re.split(r"[\s.]", name.strip(), maxsplit=1)[0])
        return len(first) >= 3 and first in self.names


def _host_keys(host: str) -> set[str]:
    """"lesothotimes" and "lesothotimesls" of www.lesothotimes.co.ls; "orf", "orfat" of news.orf.at."""
    labels = [lab for lab in host.lower().split(".") if lab]
    if len(labels) < 2:
        return set()
    cut = 3 if len(labels) >= 3 and labels[-2] in _GENERIC_SLD else 2
    label = labels[-cut]
    return {_squash(label), _squash(label + labels[-1])}


_OWN = "\x00"  # marks where a byline gave the outlet's own address


def _parts(raw: str, outlet: Outlet) -> list[str]:
    """A byline cut into its names, web and e-mail addresses gone; a part that gave the
    outlet's own address keeps the mark _OWN ("Deutsche Welle (www.dw.com)", "…, Lrt.lt")."""
    text = " ".join(html.unescape(raw).split())
    if text.lower().startswith(("http://", "https://", "www.")):
        return []

    def address(m: re.Match[str]) -> str:
        host = urlsplit(m.group(0) if "://" in m.group(0) else "//" + m.group(0)).hostname or ""
        return _OWN if outlet.is_domain(host.rpartition("@")[2]) else " "

    text = _DOMAIN.sub(address, _WEB.sub(address, text))
    text = _BRACKETS.sub(lambda m: _OWN if _OWN in m.group(0) else " ", text)
    return [p for p in _SPLIT.split(text) if p.strip()]


def names(raw: str, outlet: Outlet) -> list[str]:
    """The credited names in one byline string, cleaned, in order (maybe none)."""
    out: list[str] = []
    for part in _parts(raw, outlet):
        if _OWN in part:
            continue  # the outlet, by its own address
        part = _LEAD.sub("", part.strip(" .:-–—'\"“”«»"))
        inner = _INNER.search(" " + part)
        if inner is not None:
            part = (" " + part)[inner.end():]
        part = _ROLE_SUFFIX.sub("", " ".join(part.split()))
        if part and is_author(part, outlet) and part not in out:
            out.append(part)
    return out


def is_author(name: str, outlet: Outlet) -> bool:
    """A person's name or a news agency's, and not the outlet or one of its desks."""
    if not name or len(name) > 80 or any(c.isdigit() for c in name) or "@" in name:
        return False
    if re.sub(r"(?i)^the\s+", "", name).casefold() in AGENCIES:
        return True  # even on the agency's own site: "Associated Press" on apnews.com
    if outlet.is_outlet(name):
        return False
    if name.casefold().startswith("the "):  # "The Russian": a person's name has no article
        return False
    if _DESK.search(name):
        return False
    words = name.split(" ")
    if _UNCASED.search(name):  # Chinese, Japanese, Korean, Arabic, Devanagari: no capitals
        return len(words) <= 3 and len(name) <= 20
    if not 2 <= len(words) <= 6 or not all(_WORD.match(w) for w in words):
        return False
    if len(words[-1].rstrip(".")) < 2:  # "Ilanga D": a name does not end in an initial
        return False
    if name.islower():  # "viktor hedlund": consistently lower case is still a name
        return True
    return all(w[0].isupper() or w in _PARTICLES for w in words)


def authors(sources: Iterable[Iterable[str]], outlet: Outlet) -> list[str]:
    """The names of the first source that credits anyone; later sources are tried when
    everything in an earlier one is rejected (the outlet's own name in JSON-LD, say)."""
    for source in sources:  # lazily: the last may be costly to compute (trafilatura's)
        raws = list(source)
        outlet = outlet.learn(raws)
        found: list[str] = []
        for raw in raws:
            for name in names(raw, outlet):
                if name not in found:
                    found.append(name)
        if found:
            return found
    return []
