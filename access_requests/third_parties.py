"""Third parties are found, not remembered.

Every compiled item is searched for every person Confide knows who is not a subject of the
request: the other children (on roll and who have left), the parents and carers who are not
subjects, the staff, and the names written in the consent ledger (who told us, the people a
disclosure or a sharing decision concerns). The rules:

- a full name is found whole-word and whatever its case ("grace jones", "GRACE JONES");
- a first name alone only when written with a capital ("Grace" is found, "grace" is not), and
  not when it is also a first name of a subject (the subject's own file names them on every page);
- possessives are part of what is found ("Grace's", "Grace’s");
- common short forms and full forms of a first name count as it (Liz, Beth and Elizabeth), from
  the maintained ``nicknames`` list.

The search works on the words of the text, not on a pattern per person, so a file of thousands of
records is searched against a group's thousands of people in one pass per record.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from uuid import UUID

from nicknames import NickNamer

from consent.models import DiscloserKind, Disclosure, DisclosureSubject, SharingDecision
from core import crypto
from records.models import Carer, Child, Staff

from .models import PersonKind, SubjectAccessRequest

# A word: letters and digits, joined by hyphens or apostrophes ("Mary-Jane", "Grace's").
WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
POSSESSIVE = re.compile(r"['’]s$")
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "the", "a", "an", "my", "our", "her"})
# A first name shorter than this is not looked for alone ("Al", "Jo"): too many false alarms.
SHORTEST_FIRST_NAME = 3
# Words that, left beside a redaction, still say who it was ("[...]'s mum", "her partner [...]").
RELATIONSHIPS = [
    "mum",
    "mummy",
    "mam",
    "mom",
    "mother",
    "dad",
    "daddy",
    "father",
    "parent",
    "parents",
    "partner",
    "boyfriend",
    "girlfriend",
    "husband",
    "wife",
    "fiance",
    "fiancee",
    "ex",
    "brother",
    "sister",
    "sibling",
    "son",
    "daughter",
    "stepson",
    "stepdaughter",
    "nan",
    "nana",
    "nanny",
    "gran",
    "granny",
    "grandma",
    "grandmother",
    "grandad",
    "grandpa",
    "grandfather",
    "aunt",
    "auntie",
    "uncle",
    "cousin",
    "niece",
    "nephew",
    "carer",
    "childminder",
    "friend",
    "neighbour",
    "neighbor",
    "stepmum",
    "stepdad",
    "step-mum",
    "step-dad",
    "stepfather",
    "stepmother",
]
_REL = "|".join(sorted(RELATIONSHIPS, key=len, reverse=True))
# After a redacted name: its possessive, then a relationship word ("'s mum", "’s new partner").
AFTER_NAME = re.compile(rf"^(?:['’]s?)?(?:\s+(?:new\s+|ex-?\s*)?(?:{_REL})\b(?:['’]s)?)?", re.I)
# Before it: "her partner ", "their new boyfriend ".
BEFORE_NAME = re.compile(
    rf"(?:\b(?:her|his|their|my|your|our|the|a)\s+)?(?:new\s+|ex-?\s*)?\b(?:{_REL})\s+$", re.I
)


def widened(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of a redaction grown over what would still name the person beside it: a
    possessive and a relationship word after it, a relationship word (and "her", "their"...)
    before it."""
    after = AFTER_NAME.match(text[end:])
    if after:
        end += after.end()
    before = BEFORE_NAME.search(text[:start])
    if before:
        start = before.start()
    return start, end


def word_spans(text: str, word: str) -> Iterator[tuple[int, int]]:
    """Where ``word`` stands in ``text`` as a whole word (not inside another), case as written
    for a single word, any case for several."""
    flags = re.I if " " in word.strip() else 0
    pattern = r"\s+".join(re.escape(w) for w in word.split())
    for m in re.finditer(rf"(?<![\w-]){pattern}(?![\w-])", text, flags):
        yield m.start(), m.end()


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


def first_name_forms(first: str) -> set[str]:
    """A first name and its common short and full forms, as written with a capital."""
    base = first.strip()
    if not base:
        return set()
    forms = {base.lower()}
    namer = _nicknamer()
    forms |= namer.nicknames_of(base) | namer.canonicals_of(base)
    return {_capitalised(f) for f in forms if len(f) >= SHORTEST_FIRST_NAME}


def _capitalised(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _normal(words: Iterable[str]) -> str:
    return " ".join(w.lower() for w in words)


@dataclass(frozen=True)
class Person:
    key: str
    kind: str
    name: str
    # Lower-case full names (words joined by one space), found whatever their case.
    full: frozenset[str] = frozenset()
    # First names as written with a capital, found only so.
    first: frozenset[str] = frozenset()


def person(key: str, kind: str, name: str) -> Person:
    """A person by their name as the register (or the ledger) writes it."""
    words = [w for w in WORD.findall(name) if w.lower() not in TITLES]
    if not words:
        return Person(key, kind, name)
    if len(words) == 1:
        return Person(key, kind, name, first=frozenset(first_name_forms(words[0])))
    rest = words[1:]
    firsts = first_name_forms(words[0]) | {words[0]}
    full = {_normal([f, *rest]) for f in firsts}
    return Person(
        key, kind, name, full=frozenset(full), first=frozenset(first_name_forms(words[0]))
    )


@dataclass
class Found:
    person: Person
    # The words as the text has them, each once, in order of first appearance.
    words: list[str] = field(default_factory=list)

    def add(self, word: str) -> None:
        if word not in self.words:
            self.words.append(word)


class Directory:
    """Everyone to look for in a request's items, and the search."""

    def __init__(self, people: Iterable[Person], *, subjects: Iterable[Person] = ()) -> None:
        self.people = list(people)
        subject_firsts = {f for s in subjects for f in s.first}
        subject_full = {f for s in subjects for f in s.full}
        self._full: dict[str, list[Person]] = defaultdict(list)
        self._first: dict[str, list[Person]] = defaultdict(list)
        for p in self.people:
            for form in p.full - subject_full:
                self._full[form].append(p)
            for form in p.first - subject_firsts:
                self._first[form].append(p)
        # Most words start no full name: only these are tried as the start of one.
        self._starts = {form.split(" ", 1)[0] for form in self._full}
        self._longest = max((form.count(" ") + 1 for form in self._full), default=0)

    def find(self, text: str) -> dict[str, Found]:
        """The people named in ``text``, by key, with the words that name them."""
        found: dict[str, Found] = {}
        for start, end, people in self._spans(text):
            for p in people:
                found.setdefault(p.key, Found(p)).add(text[start:end])
        return found

    def _spans(self, text: str) -> Iterator[tuple[int, int, list[Person]]]:
        tokens = [(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]
        lower = [w.lower() for _s, _e, w in tokens]
        covered_until = -1
        for i, (start, _end, _word) in enumerate(tokens):
            if start < covered_until:
                continue
            # The longest full name starting here (words separated by white space only).
            best: tuple[int, list[Person]] | None = None
            if lower[i] in self._starts:
                for length in range(min(self._longest, len(tokens) - i), 1, -1):
                    run = tokens[i : i + length]
                    gaps = zip(run, run[1:], strict=False)
                    if any(text[a[1] : b[0]].strip() for a, b in gaps):
                        continue
                    words = lower[i : i + length]
                    words[-1] = POSSESSIVE.sub("", words[-1])
                    people = self._full.get(" ".join(words))
                    if people:
                        best = (run[-1][1], people)
                        break
            if best is not None:
                covered_until = best[0]
                yield start, best[0], best[1]
                continue
            word = tokens[i][2]
            people = self._first.get(POSSESSIVE.sub("", word))
            if people:
                yield start, tokens[i][1], people


def subjects_of(sar: SubjectAccessRequest) -> tuple[set[UUID], set[UUID], UUID | None]:
    """The ids of the request's subjects: children, carers (the requester among them), staff."""
    children = set(sar.children.values_list("pk", flat=True))
    carers = set(sar.carers.values_list("pk", flat=True))
    if sar.requester_carer_id:
        carers.add(sar.requester_carer_id)
    return children, carers, sar.staff_subject_id or sar.requester_staff_id


def ledger_key(name: str) -> str:
    return "name:" + crypto.blind_index(_normal(WORD.findall(name)), purpose="ledger name")


def _ledger_names() -> Iterator[tuple[str, str]]:
    """Names written in the consent ledger as free text, with the kind of person."""
    # Instances, not values_list(): an encrypted field decrypts when read from its row.
    for disclosure in Disclosure.objects.filter(discloser_carer__isnull=True).only(
        "discloser_name", "discloser_kind"
    ):
        kind = (
            PersonKind.PROFESSIONAL
            if disclosure.discloser_kind == DiscloserKind.PROFESSIONAL
            else PersonKind.OTHER
        )
        for name in _name_parts(disclosure.discloser_name):
            yield name, kind
    for subject in DisclosureSubject.objects.exclude(third_party="").only("third_party"):
        for name in _name_parts(subject.third_party):
            yield name, PersonKind.OTHER
    for decision in SharingDecision.objects.exclude(other_people="").only("other_people"):
        for line in re.split(r"[\n;,]", decision.other_people):
            for name in _name_parts(line):
                yield name, PersonKind.OTHER


# Words of a name that are written small ("Ana de la Cruz", "Ludwig van Beethoven").
PARTICLES = frozenset({"de", "la", "le", "van", "von", "der", "den", "da", "di", "du", "bin", "al"})


def _name_parts(value: str) -> Iterator[str]:
    """The name in a ledger's free text: "Jordan Smith (neighbour), via mum" is looked for as
    "Jordan Smith". A description ("Health visitor", "mum's new partner") is not a name: every
    word of a name is written with a capital."""
    name = re.split(r"[(,;\n]| - | via ", value or "", maxsplit=1)[0].strip()
    words = [w for w in WORD.findall(name) if w.lower() not in TITLES | PARTICLES]
    if words and all(w[:1].isupper() for w in words):
        yield name


def directory_for(sar: SubjectAccessRequest) -> Directory:
    child_ids, carer_ids, staff_id = subjects_of(sar)
    return directory(child_ids, carer_ids, {staff_id} if staff_id else set())


def directory(child_ids: set[UUID], carer_ids: set[UUID], staff_ids: set[UUID] | None) -> Directory:
    """Everyone Confide knows, the subjects apart (they are not third parties): the children and
    carers named, and the staff named (``None``: every member of staff, acting in their role)."""
    people: list[Person] = []
    subjects: list[Person] = []
    for child in Child.objects.only("id", "first_name", "last_name"):
        p = person(f"child:{child.pk}", PersonKind.CHILD, child.full_name)
        (subjects if child.pk in child_ids else people).append(p)
    for carer in Carer.objects.only("id", "full_name"):
        p = person(f"carer:{carer.pk}", PersonKind.CARER, carer.full_name)
        (subjects if carer.pk in carer_ids else people).append(p)
    for staff in Staff.objects.only("id", "full_name"):
        p = person(f"staff:{staff.pk}", PersonKind.STAFF, staff.full_name)
        (subjects if staff_ids is None or staff.pk in staff_ids else people).append(p)
    seen: set[str] = set()
    for name, kind in _ledger_names():
        key = ledger_key(name)
        if key not in seen:
            seen.add(key)
            people.append(person(key, kind, name))
    return Directory(people, subjects=subjects)
