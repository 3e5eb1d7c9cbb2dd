"""MedQuAD JSONL (`medquad_answered.jsonl`): one consumer-health page section per QA pair.

Each record is one question/answer from an NIH page. The document title reads like the page
section it came from ("Acromegaly: treatment"), the answer's XML indentation is undone into
paragraphs and bullets, the page's sub-headings (flattened into the text upstream, as in
"Common Treatments The most common...") are set apart from the sentence that follows, and the
upstream ids and UMLS annotations are kept in `extra`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from citemed.model import Document, Kind
from citemed.sources.base import clean_layout, make_section, text_field
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


@lru_cache(maxsize=256)
def _inline_heading(openers: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?:^|(?<=[.!?:] ))({_CAPITAL}(?: (?:{_CAPITAL}|{_SMALL}))*? {_CAPITAL}) "
        rf"(?=(?:{openers}) [a-z])", re.M)


def separate_headings(text: str, focus_terms: tuple[str, ...] = ()) -> str:
    """Each flattened sub-heading on its own paragraph, so it never opens the next sentence.

    The page's own topic ("Gout", "Acromegaly") is the likeliest opener after a heading.
    """
    openers = "|".join([_OPENERS, *(re.escape(t) for t in focus_terms if t[:1].isupper())])
    return _inline_heading(openers).sub(lambda m: f"\n\n{m.group(1)}\n\n", text).strip()


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
    for start, end in reversed(cut):
        before, after = text[:start].rstrip(" "), text[end:].lstrip(" ")
        joiner = " " if before and after and not before.endswith("\n") \
            and not after.startswith("\n") else ""
        text = before + joiner + after
    return text.strip()


class MedQuADReader(JsonLinesReader):
    name = "medquad"
    signature = frozenset({"focus", "question_type", "answer", "source_collection"})

    def document(self, record: dict) -> Document:
        local_id = text_field(record, "id", required=True)
        focus = text_field(record, "focus")
        answer = drop_repeated_sentences(separate_headings(
            clean_layout(text_field(record, "answer", required=True)), (focus,) if focus else ()))
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
