"""Follow-up questions and conversation threads.

A follow-up such as "what about in men?" or "and the dose?" is rewritten into a standalone
question against the previous turn's resolved question: its topic (the drug, or else the first
noun chunk) and its population are carried forward, and the reader is shown the rewrite.
No model is involved; the rules are small, predictable and tested.

Threads live in `threads.sqlite` inside the library folder, apart from `library.sqlite`, so the
evidence store (and the library version answers record) never changes because someone chatted.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from citemed.errors import InputError, NotFoundError
from citemed.sqlite_wal import use_wal
from citemed.text import STOPWORDS


@dataclass(frozen=True, slots=True)
class Turn:
    question: str
    resolved_question: str


# ---------------------------------------------------------------- follow-up resolution

# Function words end a noun chunk: the shared stop words, plus the negations and quantifiers
# that retrieval keeps (they change a claim's meaning) but that join no topic.
_STOP = STOPWORDS | {"among", "ever", "less", "more", "most", "no", "not", "still", "without"}
# Verbs and adjectives that relate two topics; they end a noun chunk instead of joining it.
_RELATION = {
    "linked", "link", "associated", "association", "related", "cause", "causes", "caused",
    "causing", "effective", "efficacy", "safe", "safety", "help", "helps", "work", "works",
    "treat", "treats", "treated", "treating", "prevent", "prevents", "reduce", "reduces",
    "increase", "increases", "improve", "improves", "affect", "affects", "lead", "leads",
    "better", "worse", "useful", "recommended", "indicated", "used", "use", "take", "taking",
    "risk", "common", "good", "bad", "needed", "necessary", "true", "predict", "predicts",
    "lower", "lowers", "raise", "raises", "decrease", "decreases", "worsen", "worsens",
    "benefit", "benefits", "change", "changes", "influence", "influences", "impact",
}
_ASPECTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:usual |recommended |right )?(?:dose|dosage|dosing)\b|\bhow much\b"),
     "What is the dose of {focus}{pop}?"),
    (re.compile(r"\bside[- ]effects?\b|\badverse (?:effects?|events?)\b"),
     "What are the side effects of {focus}{pop}?"),
    (re.compile(r"\binteractions?\b"), "What are the drug interactions of {focus}{pop}?"),
    (re.compile(r"\bcontraindications?\b|\bwho should not\b"),
     "What are the contraindications of {focus}{pop}?"),
    (re.compile(r"\b(?:treatments?|therapy|therapies|how (?:is|are) (?:it|they) treated)\b"),
     "What is the treatment of {focus}{pop}?"),
    (re.compile(r"\bsymptoms?\b|\bsigns?\b"), "What are the symptoms of {focus}{pop}?"),
    (re.compile(r"\bcauses?\b|\bwhy\b"), "What causes {focus}{pop}?"),
    (re.compile(r"\bdiagnos\w*\b|\btests?\b"), "How is {focus} diagnosed{pop}?"),
    (re.compile(r"\bprognosis\b|\boutlook\b|\bsurvival\b"), "What is the prognosis of {focus}{pop}?"),
    (re.compile(r"\bprevent\w*\b"), "How can {focus} be prevented{pop}?"),
    (re.compile(r"\balternatives?\b|\binstead\b"), "What are the alternatives to {focus}{pop}?"),
    (re.compile(r"\bhow long\b|\bduration\b"), "How long should {focus} be continued{pop}?"),
    (re.compile(r"\bmechanism\b|\bhow does (?:it|that) work\b"),
     "What is the mechanism of {focus}{pop}?"),
]
# Aspects that belong to a medicine: asked after a question about a condition, they concern the
# condition's treatment ("How is gout treated?" -> "and the dose?" is not "the dose of gout").
_MEDICINE_ASPECTS = ("dose", "side effects", "drug interactions", "contraindications",
                     "alternatives", "continued")
_ASPECT_WORDS = {
    "dose", "dosage", "dosing", "usual", "recommended", "right", "much", "side", "effect",
    "effects", "adverse", "events", "interaction", "interactions", "contraindication",
    "contraindications", "treatment", "treatments", "therapy", "therapies", "treated", "symptom",
    "symptoms", "sign", "signs", "cause", "causes", "diagnosis", "diagnosed", "test", "tests",
    "prognosis", "outlook", "survival", "prevention", "prevented", "prevent", "alternative",
    "alternatives", "instead", "long", "duration", "mechanism", "work",
}
_POPULATION_NOUN = (
    r"(?:men|women|males|females|boys|girls|children|kids|infants|babies|newborns|neonates|"
    r"adolescents|teenagers|teens|adults|elderly|seniors|pregnancy|pregnant women|"
    r"breastfeeding(?: women| mothers)?|smokers|athletes|(?:patients|people|those) with [\w' -]+?)"
)
# "in older men", "among postmenopausal women", "during pregnancy", "for children under 5"
_POPULATION = re.compile(
    r"\b(?:in|among|for|during)\s+((?:[\w-]+\s+){0,2}?" + _POPULATION_NOUN + r")(?=[\s?.!,;]|$)",
    re.I,
)
# "women over 60", "older men", "children": a population, possibly with trailing qualifiers.
_BARE_POPULATION = re.compile(r"^((?:[\w-]+\s+){0,2}?" + _POPULATION_NOUN + r")\b", re.I)
_WHAT_ABOUT = re.compile(
    r"^(?:(?:and|but|so|ok|okay)[,\s]+)?(?:what|how)\s+about\s+(.+)$|^(?:and|but)\s+(.+)$", re.I)
_PRONOUN = re.compile(r"\b(it|this|that|they|them|these|those|its)\b", re.I)
_DRUG = re.compile(
    r"\b[a-z]+(?:mab|nib|olol|pril|sartan|statin|azole|ozole|mycin|cillin|formin|gliptin|"
    r"flozin|glutide|parin|oxacin|cycline|dronate|zepam|zolam|triptan|vir|afil|tidine|prazole|"
    r"dipine|semide|thiazide|xaban|gatran|profen|fenac|triptyline|oxetine|aline|azepine|"
    r"idone|apine|olone|asone|sone)\b"
    r"|\b(?:aspirin|acetaminophen|paracetamol|insulin|warfarin|tamoxifen|metformin|digoxin|"
    r"lithium|morphine|codeine|tramadol|levothyroxine|prednisone|methotrexate|allopurinol|"
    r"colchicine|duloxetine|gabapentin|pregabalin|amoxicillin|doxycycline|vitamin [a-z0-9]+|"
    r"calcium|iron|folic acid|melatonin|botox)\b",
    re.I,
)


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9][\w'-]*", text)


def noun_chunks(question: str) -> list[str]:
    """Runs of content words, cut at function words and relation verbs, population removed."""
    text = _POPULATION.sub(" ", question)
    chunks: list[str] = []
    current: list[str] = []
    for word in _words(text):
        low = word.lower()
        if low in _STOP or low in _RELATION:
            if current:
                chunks.append(" ".join(current))
            current = []
        else:
            current.append(word)
    if current:
        chunks.append(" ".join(current))
    return chunks


def focus_of(question: str) -> str:
    """The topic a follow-up refers back to: the drug named, else the first noun chunk."""
    chunks = noun_chunks(question)
    for chunk in chunks:
        drug = _DRUG.search(chunk)
        if drug:
            return drug.group(0)
    return chunks[0] if chunks else ""


def population_of(question: str) -> str:
    match = _POPULATION.search(question)
    return match.group(0) if match else ""


def _with_population(question: str, population: str) -> str:
    """`question` about `population` instead of the one it names (or none)."""
    body = question.rstrip(" ?.!")
    if _POPULATION.search(body):
        body = _POPULATION.sub(lambda _m: population, body, count=1)
    else:
        body = f"{body} {population}"
    return body + "?"


def _own_content(followup: str) -> list[str]:
    """Words in the follow-up that name a topic of its own (not a stop, aspect or filler word)."""
    return [w for w in _words(followup)
            if w.lower() not in _STOP and w.lower() not in _ASPECT_WORDS
            and w.lower() not in _RELATION]


def resolve_followup(question: str, context: Sequence[Turn] | None) -> str:
    """A standalone version of `question` given the earlier turns (unchanged if standalone)."""
    if not context:
        return question
    previous = context[-1].resolved_question or context[-1].question
    focus = focus_of(previous)
    if not focus:
        return question
    text = " ".join(question.split()).rstrip(" ?.!")
    what_about = _WHAT_ABOUT.match(text)
    tail = (what_about.group(1) or what_about.group(2)).strip() if what_about else text

    if tail.split()[0].lower() in ("in", "among", "for", "during") and _POPULATION.match(tail):
        return _with_population(previous, tail)
    if what_about and _BARE_POPULATION.match(tail):
        preposition = "during" if tail.lower().startswith("pregnancy") else "in"
        return _with_population(previous, f"{preposition} {tail}")

    short = len(_words(text)) <= 12
    refers_back = bool(_PRONOUN.search(text)) or bool(what_about) or not _own_content(text)
    if short and refers_back:
        for pattern, template in _ASPECTS:
            if pattern.search(tail.lower()) and not _own_content(_PRONOUN.sub(" ", tail)):
                # Only a population the follow-up names itself: carrying the earlier one into
                # "the dose" narrows the search to pages that mention both, often none.
                pop = population_of(tail)
                subject = focus
                if not _DRUG.search(focus) and any(a in template for a in _MEDICINE_ASPECTS):
                    subject = f"the treatment for {focus}"
                return template.format(focus=subject, pop=f" {pop}" if pop else "")
    if what_about and _DRUG.fullmatch(tail) and not _DRUG.search(focus):
        # "How is gout treated?" -> "what about colchicine?" asks whether that medicine helps.
        return f"Is {tail} effective for {focus}?"
    if what_about and _own_content(tail):
        # "what about tamoxifen?" asks the same thing about another topic.
        swapped = re.sub(re.escape(focus), tail, previous, count=1, flags=re.I)
        if swapped != previous:
            return swapped
    if short and _PRONOUN.search(text):
        replaced = _PRONOUN.sub(lambda _m: focus, " ".join(question.split()), count=1)
        return replaced if replaced.endswith("?") else replaced + "?"
    return question


# ---------------------------------------------------------------- thread storage

MAX_TURNS = 50
_THREAD_ID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    thread_id TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    question TEXT NOT NULL,
    resolved_question TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (thread_id, idx)
);
"""


class ThreadStore:
    """Conversation threads in a small SQLite file; ids are random so URLs are not guessable."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        use_wal(self._conn)
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def create(self) -> str:
        thread_id = secrets.token_urlsafe(9)
        with self._lock:
            self._conn.execute("INSERT INTO threads(id, created_at) VALUES (?, ?)",
                               (thread_id, _now()))
        return thread_id

    def turns(self, thread_id: str) -> list[Turn]:
        if not _THREAD_ID.match(thread_id):
            raise NotFoundError(f"no conversation thread {thread_id!r}")
        with self._lock:
            exists = self._conn.execute("SELECT 1 FROM threads WHERE id=?",
                                        (thread_id,)).fetchone()
            rows = self._conn.execute(
                "SELECT question, resolved_question FROM turns WHERE thread_id=? ORDER BY idx",
                (thread_id,)).fetchall()
        if not exists:
            raise NotFoundError(f"no conversation thread {thread_id!r}")
        return [Turn(question=q, resolved_question=r) for q, r in rows]

    def add_turn(self, thread_id: str, turn: Turn) -> int:
        """Append a turn; returns its 0-based position in the thread."""
        with self._lock:
            count = self._conn.execute("SELECT COUNT(*) FROM turns WHERE thread_id=?",
                                       (thread_id,)).fetchone()[0]
            if count >= MAX_TURNS:
                raise InputError(f"this conversation already has {MAX_TURNS} questions; "
                                 "start a new one")
            try:
                self._conn.execute(
                    "INSERT INTO turns(thread_id, idx, question, resolved_question, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (thread_id, count, turn.question, turn.resolved_question, _now()))
            except sqlite3.IntegrityError as error:
                raise NotFoundError(f"no conversation thread {thread_id!r}") from error
        return count


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
