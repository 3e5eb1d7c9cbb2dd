"""MedQuAD JSONL (`medquad_answered.jsonl`): one consumer-health page section per QA pair.

Each record is one question/answer from an NIH page. The document title reads like the page
section it came from ("Acromegaly: treatment"), the answer's XML indentation is undone into
paragraphs and bullets, the page's sub-headings (flattened into the text upstream, as in
"Common Treatments The most common...") are set apart from the sentence that follows, and the
upstream ids and UMLS annotations are kept in `extra`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from citemed.errors import SourceError
from citemed.model import Document, Kind
from citemed.sources.base import ReadItem, clean_layout, iter_jsonl, make_section, text_field
from citemed.sources.jsonl import JsonLinesReader
from citemed.text import split_sentences

SITES: dict[str, str] = {
    "CancerGov": "National Cancer Institute (CancerGov)",
    "GARD": "Genetic and Rare Diseases Information Center (GARD)",
    "GHR": "Genetics Home Reference (GHR)",
    "MPlusHealthTopics": "MedlinePlus Health Topics",
    "NHLBI": "National Heart, Lung, and Blood Institute (NHLBI)",
    "NIDDK": "National Institute of Diabetes and Digestive and Kidney Diseases (NIDDK)",
    "NIHSeniorHealth": "NIHSeniorHealth (National Institutes of Health)",
    "NINDS": "National Institute of Neurological Disorders and Stroke (NINDS)",
    "CDC": "Centers for Disease Control and Prevention (CDC)",
}

# MedQuAD question type -> the page-section name a reader expects in a title.
TOPICS: dict[str, str] = {
    "information": "overview",
    "symptoms": "symptoms",
    "treatment": "treatment",
    "inheritance": "inheritance",
    "frequency": "how common it is",
    "genetic changes": "genetic changes",
    "causes": "causes",
    "exams and tests": "diagnosis",
    "research": "research and clinical trials",
    "outlook": "outlook",
    "susceptibility": "who is at risk",
    "considerations": "what to do",
    "prevention": "prevention",
    "stages": "stages",
    "complications": "complications",
    "support groups": "support groups",
}

_SPACE_BEFORE_PUNCT = re.compile(r"\s+([?.!,;:])")
_ARE = re.compile(r"\bis \(are\)", re.I)


def clean_question(question: str) -> str:
    """'What is (are) Acromegaly ?' -> 'What is Acromegaly?'; 'at risk for X? ?' -> '...X?'."""
    text = _ARE.sub("is", " ".join(question.split()))
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = re.sub(r"\?+", "?", text)
    return text[:1].upper() + text[1:]


def page_title(focus: str, question_type: str, question: str) -> str:
    if focus:
        topic = TOPICS.get(question_type)
        return f"{focus}: {topic}" if topic else f"{focus}: {clean_question(question)}"
    return clean_question(question)


# A flattened sub-heading: two or more Title-Case words (small words allowed inside) at the
# start of a paragraph or after a sentence end, directly followed by a word that commonly opens
# a sentence and then a lower-case word. The closed list of openers keeps proper names such as
# "The NIH Clinical Center is..." from being cut.
_OPENERS = ("The|A|An|This|These|That|Those|Most|Many|Some|Several|If|In|With|When|While|"
            "Although|People|Patients|There|It|Its|You|Your|Doctors|Researchers|Each|Every|"
            "Other|For|About|Because|Children|Adults|Women|Men|Having|Once|After|Before|During|"
            "To|One|Both|All|No|Currently|Approximately|Usually|Often|Sometimes")
_SMALL = r"(?:of|and|or|the|for|to|in|with|a|an|on|by|at|from|is|are|can|be|your|you|&)"
_CAPITAL = r"(?:[A-Z][A-Za-z'\-]*|[A-Z0-9]{2,})"


# The page's own topic stands in the text as one word while headings are found, so one
# compiled pattern serves every page (a pattern per topic cost ~40 s of compiling per MedQuAD).
# A topic in Title Case may be part of a heading ("When Breast Cancer Spreads"), so its stand-in
# is capitalised too; any other topic's stand-in is lower case, never a heading word.
_TOPIC_HEADING, _TOPIC_OTHER = "Qxtopicqx", "qxtopicqx"
_TITLE_CASE = re.compile(rf"{_CAPITAL}(?: (?:{_CAPITAL}|{_SMALL}))*")
_INLINE_HEADING = re.compile(
    rf"(?:^|(?<=[.!?:] ))({_CAPITAL}(?: (?:{_CAPITAL}|{_SMALL}))*? {_CAPITAL}) "
    rf"(?=(?:{_OPENERS}|{_TOPIC_HEADING}|{_TOPIC_OTHER}) [a-z])", re.M)


def separate_headings(text: str, topic: str = "") -> str:
    """Each flattened sub-heading on its own paragraph, so it never opens the next sentence.

    The page's own `topic` ("Gout", "Acromegaly") is the likeliest opener after a heading.
    """
    stand_in = _TOPIC_HEADING if _TITLE_CASE.fullmatch(topic) else _TOPIC_OTHER
    swap = topic[:1].isupper() and stand_in.lower() not in text.lower()
    if swap:
        text = text.replace(topic, stand_in)
    text = _INLINE_HEADING.sub(lambda m: f"\n\n{m.group(1)}\n\n", text).strip()
    return text.replace(stand_in, topic) if swap else text


# Shorter repeats ("Treatment.") are too common to mean a copied block.
MIN_REPEAT_LETTERS = 40
_NOT_LETTER = re.compile(r"[^a-z]+")
_LOWER_CASE_START = re.compile(r"(?<=[.!?])\s+(?=[a-z])")


def drop_repeated_sentences(text: str) -> str:
    """Without sentences that repeat earlier text of the answer.

    Some pages carry a bulleted list twice, the second time with the bullets' dashes lost, so
    the items run together ("such as aspirin niacin, a vitamin ..."): read as sentences, those
    copies garble what the list says. A sentence whose letters all appear, in order and
    unbroken, in the text before it adds nothing and is dropped. The copies start items in
    lower case ("... disease. diuretics, which ..."), so a sentence is also checked piece by
    piece at such lower-case starts.
    """
    kept_letters = ""
    cut: list[tuple[int, int]] = []
    for sentence in split_sentences(text):
        bounds = [0, *(m.end() for m in _LOWER_CASE_START.finditer(sentence.text)),
                  len(sentence.text)]
        for start, end in zip(bounds, bounds[1:], strict=False):
            letters = _NOT_LETTER.sub("", sentence.text[start:end].lower())
            if len(letters) >= MIN_REPEAT_LETTERS and letters in kept_letters:
                cut.append((sentence.start + start, sentence.start + end))
            else:
                kept_letters += letters
    return _cut(text, cut)


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` without the (start, end) spans, in order; line breaks around them kept."""
    for start, end in reversed(spans):
        before, after = text[:start].rstrip(" "), text[end:].lstrip(" ")
        joiner = " " if before and after and not before.endswith("\n") \
            and not after.startswith("\n") else ""
        text = before + joiner + after
    return text.strip()


# A sentence found word for word in at least this share of a file's answers (and in at least
# TEMPLATE_MIN_ANSWERS of them) is the site's page template, not evidence about the page's
# condition: GARD's 2,243 symptom answers each end with the same ten sentences on how the
# Human Phenotype Ontology lists frequencies, and those were cited on other diseases' pages.
# Sentences shared by fewer pages ("This condition is inherited in an autosomal recessive
# pattern...", 364 answers) say something about each page's own condition and stay.
TEMPLATE_SHARE = 0.05
TEMPLATE_MIN_ANSWERS = 100


def _sentence_key(text: str) -> str:
    return " ".join(text.lower().split())


def template_sentences(answers: list[str]) -> frozenset[str]:
    """Normalised sentences that are page template in this collection of answers."""
    counts: Counter[str] = Counter()
    for answer in answers:
        counts.update({_sentence_key(s.text) for s in split_sentences(answer)})
    least = max(TEMPLATE_MIN_ANSWERS, TEMPLATE_SHARE * len(answers))
    return frozenset(key for key, n in counts.items() if n >= least)


def drop_template(text: str, template: frozenset[str]) -> str:
    """`text` without its template sentences; unchanged when nothing else would remain."""
    sentences = split_sentences(text)
    cut = [s for s in sentences if _sentence_key(s.text) in template]
    if not cut or len(cut) == len(sentences):
        return text
    return _cut(text, [(c.start, c.end) for c in cut])


class MedQuADReader(JsonLinesReader):
    name = "medquad"
    signature = frozenset({"focus", "question_type", "answer", "source_collection"})

    def __init__(self) -> None:
        self._template: frozenset[str] = frozenset()
        self._cleaned: dict[str, str] = {}  # id -> cleaned answer, from the first pass

    def read(self, path: Path) -> Iterator[ReadItem]:
        # Two passes: the template is what many answers of the file share. Bad records are
        # reported by the second pass.
        self._cleaned = {}
        for item in iter_jsonl(path):
            if isinstance(item, SourceError):
                continue
            try:
                self._cleaned[text_field(item[1], "id", required=True)] = self._answer(item[1])
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        self._template = template_sentences(list(self._cleaned.values()))
        try:
            yield from super().read(path)
        finally:
            self._cleaned = {}

    @staticmethod
    def _answer(record: dict) -> str:
        focus = text_field(record, "focus")
        return drop_repeated_sentences(separate_headings(
            clean_layout(text_field(record, "answer", required=True)), focus))

    def document(self, record: dict) -> Document:
        local_id = text_field(record, "id", required=True)
        focus = text_field(record, "focus")
        cleaned = self._cleaned.get(local_id)
        answer = drop_template(cleaned if cleaned is not None else self._answer(record),
                               self._template)
        if not answer:
            raise ValueError("field 'answer' is empty")
        question = text_field(record, "question")
        question_type = text_field(record, "question_type")
        site = text_field(record, "source")
        synonyms = [str(s).strip() for s in record.get("focus_synonyms") or [] if str(s).strip()]
        terms = list(dict.fromkeys([focus, *synonyms])) if focus else synonyms
        return Document(
            id=f"medquad:{local_id}",
            collection="medquad",
            kind=Kind.CONSUMER,
            title=page_title(focus, question_type, question),
            source=SITES.get(site, site),
            url=text_field(record, "url") or None,
            terms=terms,
            sections=[make_section(clean_question(question) if question else "ANSWER", answer)],
            extra={
                "question": question,
                "question_type": question_type,
                "qid": record.get("qid"),
                "focus_category": record.get("focus_category"),
                "umls_cuis": record.get("umls_cuis") or [],
                "umls_semantic_types": record.get("umls_semantic_types") or [],
                "umls_semantic_group": record.get("umls_semantic_group"),
            },
        )
