"""The ending tables agree with the key: generated forms are the keys of real written forms."""

from __future__ import annotations

import pytest

from matching.morphology import classify, generic_endings, generic_stem, paradigm, patronymic_gender
from matching.translit import key

# (written nominative, role, written inflected forms that must be recognised)
CASES = [
    (
        "Елеусінов",
        "surname",
        "Елеусіновтің Елеусіновтың Елеусіновке Елеусіновқа Елеусіновті "
        "Елеусіновтан Елеусіновпен Елеусінова Елеусинову Елеусиновым Елеусинове Елеусиновых",
    ),
    ("Құшақбаев", "surname", "Құшақбаевтың Құшақбаевқа Кушакбаевка Кушакбаевтын Kushakbaev's"),
    ("Харькова", "surname", "Харьковаға Харьковаге Харькованың Харьковадан Харьковой Харькову"),
    ("Балтабай", "surname", "Балтабайдың Балтабайға Балтабаймен Балтабая Балтабаю Балтабаем"),
    ("Сокольский", "surname", "Сокольского Сокольскому Сокольским Сокольском Сокольскийдің"),
    ("Сокольская", "surname", "Сокольской Сокольскую Сокольскаяның"),
    ("Пушкин", "surname", "Пушкиннің Пушкинге Пушкина Пушкиным Пушкином"),
    ("Кемелұлы", "surname", "Кемелұлының Кемелұлына Кемелұлын"),
    ("Әмин", "given", "Әминнің Әминге Әминді Әминнен Әминмен Амина Амину Амином"),
    ("Нұрбек", "given", "Нұрбектің Нұрбекке Нұрбекті Нұрбекпен Нурбека Нурбеку"),
    ("Лариса", "given", "Ларисаның Ларисаға Ларисы Ларисе Ларису Ларисой"),
    ("Мария", "given", "Марии Марию Марией"),
    ("Жансая", "given", "Жансаяға Жансаи Жансае Жансаю Жансаей"),
    ("Сергей", "given", "Сергея Сергею Сергеем Сергейдің"),
    ("Дмитрий", "given", "Дмитрия Дмитрию Дмитрием"),
    ("Игорь", "given", "Игоря Игорю Игорем"),
    ("Анвар", "given", "Анвара Анвару Анваром Анварға Анвардың"),
]


@pytest.mark.parametrize(("nominative", "role", "forms"), CASES)
def test_forms_are_stem_plus_ending(nominative: str, role: str, forms: str) -> None:
    p = paradigm(key(nominative), role)
    for form in [nominative, *forms.split()]:
        k = key(form)
        assert k.startswith(p.stem), (form, k, p.stem)
        assert k[len(p.stem) :] in p.endings, (form, k, p.stem, sorted(p.endings))


@pytest.mark.parametrize(
    ("nominative", "wrong"),
    [
        ("Балтабай", "Балтабаев Балтабаева Балтабайлық"),
        ("Әмин", "Әминов Аминка"),
        ("Харькова", "Харьков Харькове Харьковым Харьковка"),
        ("Елеусінов", "Елеусиновский Елеусиново Елеусиновой"),
    ],
)
def test_other_words_are_not_forms(nominative: str, wrong: str) -> None:
    role = "given" if nominative == "Әмин" else "surname"
    p = paradigm(key(nominative), role)
    for form in wrong.split():
        k = key(form)
        assert not (k.startswith(p.stem) and k[len(p.stem) :] in p.endings), form


def test_paradigm_genders() -> None:
    assert paradigm(key("Харькова"), "surname").gender == "f"
    assert paradigm(key("Елеусинов"), "surname").gender == "m"
    assert paradigm(key("Сокольская"), "surname").gender == "f"
    assert paradigm(key("Балтабай"), "surname").gender is None
    assert classify(key("Мұратова"), "surname") == "F_OVA"


@pytest.mark.parametrize(
    ("word", "gender"),
    [
        ("Сергеевна", "f"),
        ("Сергеевич", "m"),
        ("Кемелұлы", "m"),
        ("Нұрланқызы", "f"),
        ("Sergeyevna", "f"),
        ("Ивановичем", "m"),
        ("Иванов", None),
        ("Қалиев", None),
    ],
)
def test_patronymics(word: str, gender: str | None) -> None:
    assert patronymic_gender(key(word)) == gender


@pytest.mark.parametrize(
    ("keyword", "forms"),
    [
        ("кәсіподақ", "кәсіподақтар кәсіподақтың кәсіподағы кәсіподағының кәсіподақтарының"),
        ("профсоюз", "профсоюза профсоюзов профсоюзами профсоюзный профсоюзного"),
        ("дело", "дела делу делом деле"),
        ("sentenced", "sentence sentences sentencing"),
    ],
)
def test_keyword_stems(keyword: str, forms: str) -> None:
    latin = keyword.isascii()
    k = key(keyword)
    stem, cut = generic_stem(k, latin)
    stems = [stem]
    if stem.endswith("k"):
        stems.append(stem[:-1] + "g")
    for form in forms.split():
        fk = key(form)
        assert any(
            fk.startswith(s) and fk[len(s) :] in generic_endings(cut if s == stem else "", s[-1], latin)
            for s in stems
        ), form
