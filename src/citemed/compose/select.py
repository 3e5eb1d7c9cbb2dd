"""Candidate selection: which source sentences may become bullets, trimmed, scored, de-duplicated.

Every candidate's text is a contiguous span of one stored sentence, so a bullet can always be
checked against the quote it cites. Whether a sentence addresses the question, and what it says
about a yes/no question, is read by the evidence reader (`citemed.readers`, a cross-encoder
trained on the training splits); the rules here only decide what can stand as a bullet.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from citemed.compose.facets import ROLE_WEIGHT, facet_of, sentence_role
from citemed.compose.question import QuestionAnalysis, concept_tokens
from citemed.model import EVIDENCE_WEIGHT, Document, Hit, Kind, SentenceHit
from citemed.readers import EvidenceReader, Reading, passage
from citemed.text import STOPWORDS, tokenize

# Leading labels and discourse connectives a bullet does not need ("In conclusion, X" -> "X").
_LEAD_TRIM = re.compile(
    r"^(?:[-*\u2022\u2013|#>]+\s+|(?:[A-Z][A-Z ]{2,30}|Conclusions?|Results?|Interpretation|Findings|Summary)\s*:\s*|"
    r"(?:in conclusion|to conclude|in summary|to summari[sz]e|taken together|overall|finally|"
    r"furthermore|moreover|however|similarly|additionally|in addition|thus|therefore|hence|"
    r"importantly|interestingly|notably|in contrast|conversely|consequently|accordingly|"
    r"as a result|in particular|specifically|collectively|together|altogether|"
    r"first(?:ly)?|second(?:ly)?|third(?:ly)?|lastly)\s*,\s*)+",
    re.I,
)
# An abstract's section label run into its first sentence without a colon ("CONCLUSIONS
# Pimavanserin is ..."); upper case only, so a sentence opening with "Results" is left alone.
_CAPS_LABEL = re.compile(r"^(?:BACKGROUND|OBJECTIVES?|METHODS|RESULTS|CONCLUSIONS?|FINDINGS|"
                         r"INTERPRETATION|SUMMARY)\s+(?=[A-Z][a-z])")
_ENDS_LIKE_SENTENCE = re.compile(r"[.!)\]\"'%\u201d]$|\d$")
_HAS_UPPER_OR_DIGIT = re.compile(r"[A-Z0-9]")
_PUNCTUATION = "\"'([{,;:.!?)]}"
MIN_WORDS = 6
MAX_WORDS = 60


@dataclass
class Candidate:
    """One trimmed sentence span that may become a bullet."""

    hit: Hit
    sentence: SentenceHit
    text: str
    role: str
    facet: str
    relevance: float  # the evidence reader's probability that it addresses the question
    document_weight: float  # evidence-kind weight
    score: float
    tokens: frozenset[str]
    reading: Reading
    # Share of the question's concept weight the span names; on a consumer page, whose every
    # sentence is about the condition in its title, the title counts too ("Early signs
    # include fever..." on "Lyme disease: overview" names Lyme disease). A study's title
    # names all its topics, which one sentence may not address.
    coverage: float = 0.0
    # Further documents stating the same finding (merged duplicates): cited together.
    also: list[tuple[Hit, SentenceHit]] = field(default_factory=list)

    @property
    def document(self) -> Document:
        return self.hit.document


def trim(text: str) -> str:
    """The bullet-worthy span of a sentence: leading labels and connectives dropped.

    Only a prefix is cut, so the span stays a contiguous substring of the source sentence.
    """
    span = text.strip()
    for pattern in (_CAPS_LABEL, _LEAD_TRIM):
        match = pattern.match(span)
        if match and match.end() < len(span):
            span = span[match.end():].strip()
    return span


def cut_glued_heading(text: str, title: str) -> str:
    """Drop a page sub-heading run into the sentence it stood above ("Sudden, Intense Joint
    Pain Gout is a form of arthritis" -> "Gout is a form of arthritis"): the page's topic
    (its title before the colon) restarts with a capital letter right after a word, with no
    punctuation between. The rest is a suffix of the sentence, so it stays an exact span; ""
    when the rest is too short to read alone."""
    words = text.split()
    # A heading repeated as the sentence's subject: "Diabetic retinopathy Diabetic retinopathy
    # may be ..." keeps the second.
    for k in range(1, 5):
        if len(words) > 2 * k and [w.lower() for w in words[:k]] == \
                [w.lower() for w in words[k:2 * k]] and words[k][0].isupper():
            return text[text.index(words[k], len(" ".join(words[:k]))):]
    topic = title.split(":", 1)[0].strip()
    if len(topic) < 3 or not topic[0].isalpha():
        return text
    pattern = re.compile(r"(?<=[A-Za-z0-9)] )" + re.escape(topic[0].upper())
                         + "(?i:" + re.escape(topic[1:]) + r")\b")
    match = pattern.search(text, 1)
    if match is None:
        return text
    # "People with Gout ..." is a sentence about gout, not a heading before one.
    before = text[:match.start()].split()
    if before[-1].lower() in STOPWORDS:
        return text
    rest = text[match.start():]
    # A heading glued to a sentence too short to stand alone: neither part is a finding.
    return rest if reads_alone(rest) else ""


def is_fragment(sentence: str, title: str, *,
                known_word: Callable[[str], bool] | None = None) -> bool:
    """Title lines, cut-off snippets and questions are not findings a reader can use.

    With `known_word` (excerpt mode, see `candidates`), a passage cut at a clause boundary
    ("we show that Amot binds Talin", no final full stop) is an excerpt, still usable when a
    library holds nothing better; one cut inside a word ("evels of tumor markers") never is.
    """
    text = sentence.strip()
    words = text.split()
    if len(words) < MIN_WORDS or len(words) > MAX_WORDS:
        return True
    if text.endswith("?") or text.rstrip(".") == title.rstrip(".?"):
        return True
    first = words[0]
    # A snippet cut mid-sentence starts in lower case ("he methodological quality was...");
    # gene and drug names like "p53" or "mRNA" carry an upper-case letter or a digit.
    if first[0].islower() and not _HAS_UPPER_OR_DIGIT.search(first):
        if known_word is None or not known_word(first):
            return True
    return known_word is None and not _ENDS_LIKE_SENTENCE.search(text)


# A bullet must read alone. It may not lean on the sentence before it: "They include ...",
# "These breaks may ...", "Combination of these drugs with X is contraindicated" ("these" =
# ?). "This study / these results" name the cited source itself, so they stay.
_DANGLING = re.compile(
    r"^(?:they|he|she|it(?! (?:is|was|seems|appears|remains) (?:\S+ ){1,3}?(?:to|that)\b)|"
    r"(?:(?:\w+ ){0,2}(?:of|in|for|with) )?(?:these|those|this|such|both of these)"
    r"(?! (?:\S+ )?(?:stud(?:y|ies)|trials?|reviews?|analys[ie]s|meta-analys[ie]s|results?|"
    r"findings?|data|work|report|paper|article|survey|cohort|observations?|experiments?|"
    r"evidence)\b)|that(?:'s| is) why)\b|"
    # A pointer to a list that is not shown ("one or more of the following signs").
    r"\bthe following\s*(?::|$|(?:signs|symptoms|steps|tests|drugs|medicines|medications|"
    r"side effects|risk factors|conditions|foods)\b)|\bas follows\b",
    re.I,
)
# A line-break or block tag inside a sentence ("... function.<br><b>CONCLUSIONS</b>: ...") means
# two sentences and a label were read as one; inline emphasis is only escaped when shown.
# A label in bold tags ("<b>OBJECTIVE</b>: To summarize ...") is the same.
_MARKUP = re.compile(r"<(?:br|/?p|/?div|/?h[1-6])\b[^>]*>|<b>[A-Z ]{4,}</b>")
# Navigation and referral text of consumer pages is not evidence ("See this graphic for ...",
# "More information ... is available from the Clearinghouse at 1-800-...").
_NAVIGATION = re.compile(
    r"^(?:see|click|visit|call|read|learn more|for more information)\b|"
    r"\bmore information (?:about|on)\b|\b1-8\d\d-\d{3}-\d{4}\b|\bthis graphic\b|"
    # GARD's symptom-table preamble, run together with the table's cells.
    r"\bapproximate number of patients\b|\bHuman Phenotype Ontology\b",
    re.I,
)
# Words that make a short span a statement rather than a heading or list item ("Acute gout,
# or acute gouty arthritis.", "People with a family history of glaucoma."): auxiliaries,
# modals and common verbs without an -s/-ed ending; inflected verbs are caught by ending.
_VERBS = frozenset(
    "is are was were be been being am has have had can could may might will would shall "
    "should must do does did cause include need take make get become develop help lead occur "
    "affect increase reduce improve appear show seem tend use contain result require remain "
    "begin start stop come work feel look see find know keep give live eat lower raise "
    "prevent treat protect depend vary run go grow form build happen".split()
)
SHORT_SPAN_WORDS = 12


def has_verb(text: str) -> bool:
    """Roughly: does the span hold a finite verb? An -s ending counts unless it is a noun
    ending such as -sis, -ss or -us; an -ed ending counts."""
    for word in re.findall(r"[A-Za-z]+", text):
        low = word.lower()
        if low in _VERBS or (len(low) > 3 and low.endswith("ed")) or (
                len(low) > 3 and low.endswith("s") and not low.endswith(("ss", "is", "us"))):
            return True
    return False


def reads_alone(span: str) -> bool:
    """A trimmed span a reader can take as a finding on its own: long enough once its label is
    cut ("- Genetic Testing Registry: Parkinson disease 1" is three words), a statement, not
    a heading, not a reference to the previous sentence, not page navigation."""
    words = span.split()
    if len(words) < MIN_WORDS:
        return False
    if len(words) < SHORT_SPAN_WORDS and not has_verb(span):
        return False
    return not (_DANGLING.search(span) or _NAVIGATION.search(span) or _MARKUP.search(span))


class Relevance:
    """The question's concept weights, for what a page says about its concepts (which ones the
    cited sources never name) and for choosing which sentences the reader reads first.

    Weights are the library's idf when given (rare concepts say more about the topic), else a
    smoothed idf over the retrieved documents themselves. Whether a sentence addresses the
    question is the evidence reader's decision, not this class's.
    """

    def __init__(self, analysis: QuestionAnalysis, hits: list[Hit],
                 idf: Callable[[str], float] | None = None) -> None:
        self.analysis = analysis
        self._idf = idf
        docs_tokens = [_doc_tokens(h.document) for h in hits]
        n = len(docs_tokens) + 1
        self.weights = {
            c: idf(c) if idf is not None
            else math.log(1 + n / (1 + sum(1 for t in docs_tokens if c in t)))
            for c in analysis.concepts
        }
        self.total = sum(self.weights.values()) or 1.0
        self.concepts = frozenset(analysis.concepts)
        self.focus = max(self.weights, key=lambda c: self.weights[c]) if self.weights else ""
        self.doc_tokens = {h.document.id: toks for h, toks in zip(hits, docs_tokens, strict=True)}

    def known_word(self, word: str) -> bool:
        """A whole word, not the tail of one cut off: it occurs in at least two documents of
        the library (idf at least log 5 below that of an unseen term), or it is a stop word."""
        word = word.strip(_PUNCTUATION).lower()
        if word in STOPWORDS:
            return True
        if not word.isalpha() or self._idf is None:
            return False
        stems = tokenize(word)
        return bool(stems) and self._idf(stems[0]) <= self._idf("") - math.log(5)

    def share(self, tokens: set[str] | frozenset[str]) -> float:
        return sum(w for c, w in self.weights.items() if c in tokens) / self.total


def _doc_tokens(doc: Document) -> frozenset[str]:
    tokens = set(concept_tokens(doc.title))
    for section in doc.sections:
        tokens.update(concept_tokens(section.text))
    return frozenset(tokens)


def _known_title(doc: Document) -> str:
    """The title the reader sees: none for a record named only by its PMID."""
    return "" if doc.extra.get("title_known") is False else doc.title


class _Unread(NamedTuple):
    """A sentence that may become a bullet, before the reader has read it."""

    prior: float
    hit: Hit
    sentence: SentenceHit
    role: str
    text: str
    tokens: frozenset[str]


def candidates(analysis: QuestionAnalysis, hits: list[Hit], relevance: Relevance,
               reader: EvidenceReader, *, max_documents: int, read_budget: int,
               per_document: int, threshold: float | None = None,
               excerpts: bool = False) -> list[Candidate]:
    """Sentences the evidence reader judges to address the question, best first.

    Readability rules run first (no aims, methods, titles, fragments, dangling references);
    relevance is the reader's probability, its threshold chosen on training data. With
    `excerpts`, passages cut off at a clause boundary count too (snippet libraries such as
    BioASQ's hold many); the caller asks for them only when no whole sentence qualifies.
    The reader reads at most `read_budget` sentences, chosen by concept share and the
    document's retrieval rank, and at most `per_document` from one document.
    """
    known_word = relevance.known_word if excerpts else None
    gate = reader.threshold if threshold is None else threshold
    asks_research = bool(_ASKS_RESEARCH.search(analysis.text))
    drafts: list[_Unread] = []
    for rank, hit in enumerate(hits[:max_documents]):
        page_topic = (str(hit.document.extra.get("question_type") or "")
                      if hit.document.kind is Kind.CONSUMER else None)
        if page_topic == "research" and not asks_research:
            # Studies under way are not care a reader can act on: shown only when asked for.
            continue
        mine: list[_Unread] = []
        for sid, section, sentence in hit.document.iter_sentences():
            if is_fragment(sentence.text, hit.document.title, known_word=known_word):
                continue
            role = sentence_role(section.label, sentence.text)
            if ROLE_WEIGHT[role] == 0:
                continue
            text = cut_glued_heading(trim(sentence.text), hit.document.title)
            if not reads_alone(text):
                continue
            tokens = frozenset(concept_tokens(text))
            prior = relevance.share(tokens) + 0.5 / (1 + rank)
            mine.append(_Unread(prior, hit, SentenceHit(
                sid, section.label, sentence.text, sentence.start, sentence.end, 0.0),
                role, text, tokens))
        mine.sort(key=lambda d: -d.prior)
        drafts.extend(mine[:per_document])
    drafts.sort(key=lambda d: -d.prior)
    drafts = drafts[:read_budget]
    readings = reader.read(analysis.text,
                           [passage(_known_title(d.hit.document), d.sentence.text) for d in drafts])
    out: list[Candidate] = []
    titles: dict[str, frozenset[str]] = {}
    for (_, hit, sentence, role, text, tokens), reading in zip(drafts, readings, strict=True):
        if reading.relevance < gate:
            continue
        page_topic = (str(hit.document.extra.get("question_type") or "")
                      if hit.document.kind is Kind.CONSUMER else None)
        kind_weight = EVIDENCE_WEIGHT[hit.document.kind]
        score = reading.relevance * kind_weight * ROLE_WEIGHT[role]
        facet = facet_of(text, page_topic)
        score *= _intent_boost(analysis, facet, text)
        if analysis.qualifiers:
            # "first-line", "dose", "best": of two relevant sentences the one that also says
            # "first-line" answers better.
            matched = len(analysis.qualifiers & tokens) / len(analysis.qualifiers)
            score *= 1.0 + QUALIFIER_BONUS * matched
        sentence.score = score
        out.append(Candidate(
            hit=hit, sentence=sentence, text=text, role=role, facet=facet, relevance=reading.relevance,
            document_weight=kind_weight, score=score, tokens=tokens, reading=reading,
            coverage=relevance.share(tokens | titles.setdefault(
                hit.document.id, frozenset(concept_tokens(hit.document.title))
                if hit.document.kind is Kind.CONSUMER else frozenset())),
        ))
    out.sort(key=lambda c: -c.score)
    return out


_DOSE = re.compile(r"\b\d+(?:\.\d+)?\s?(?:mg|g|mcg|\u00b5g|ug|iu|units?|ml|mg/kg|mg/day)\b", re.I)
INTENT_BOOST = 1.5
QUALIFIER_BONUS = 0.5
_ASKS_RESEARCH = re.compile(r"\b(?:research|trials?|stud(?:y|ies)|experimental|new|future)\b",
                            re.I)


def _intent_boost(analysis: QuestionAnalysis, facet: str, text: str) -> float:
    """Sentences of the facet the question asks about rank first; for dosing, stated doses."""
    if "dosing" in (analysis.qtype, analysis.topic):
        return INTENT_BOOST ** 2 if _DOSE.search(text) else 1.0
    return INTENT_BOOST if facet == analysis.intent_facet else 1.0


def same_finding(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two spans state the same finding when their content words mostly coincide (a span that
    adds words of its own, like "exercise treats ...", is another finding)."""
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= 0.7


def deduplicate(pool: list[Candidate]) -> list[Candidate]:
    """Keep the best-scored span of each finding; others from other documents join its cites."""
    kept: list[Candidate] = []
    for cand in pool:
        twin = next((k for k in kept if same_finding(k.tokens, cand.tokens)), None)
        if twin is None:
            kept.append(cand)
        elif cand.document.id != twin.document.id and all(
            h.document.id != cand.document.id for h, _ in twin.also
        ):
            twin.also.append((cand.hit, cand.sentence))
    return kept
