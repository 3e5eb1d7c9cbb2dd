"""Extractive answer composition: every bullet is a source sentence or a trimmed span of one.

compose(question, hits) -> Answer. No LLM: the question is analysed (type, concepts, section
plan), candidate sentences are filtered (no aims, methods, titles or fragments), scored for
relevance, de-duplicated across sources, assigned to clinical facets and numbered by first
appearance, so each statement is traceable to the exact sentences it cites.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from citemed.compose.facets import FACET_TITLES, PAGE_TOPIC_FACET, facet_of
from citemed.compose.llm import LLMError, LLMVerdictReader
from citemed.compose.question import (
    QuestionAnalysis,
    analyze_question,
    concept_tokens,
    concept_words,
    question_type,
    section_plan,
)
from citemed.compose.references import Citations
from citemed.compose.select import Candidate, Relevance, candidates, deduplicate
from citemed.compose.verdict import CitedReading, decide
from citemed.model import (
    Answer,
    AnswerSection,
    Audience,
    Bullet,
    DirectAnswer,
    FocusAbstains,
    Generation,
    Hit,
    VerdictConcepts,
)
from citemed.readers import EvidenceReader, evidence_text
from citemed.readers import require as require_reader
from citemed.text import STOPWORDS, raw_tokens, tokenize

DISCLAIMERS: dict[str, str] = {
    "clinician": (
        "For healthcare professionals. This page is generated from the sources listed and is "
        "supplementary to clinical judgment and current guidelines; verify against the primary "
        "literature before applying it to patient care. CiteMed accepts no liability for "
        "clinical decisions based on this content."
    ),
    "patient": (
        "For general information only, not medical advice. This page is built from the sources "
        "listed; talk to your doctor or pharmacist before changing any treatment, and seek "
        "urgent care for severe or sudden symptoms."
    ),
}

# Bullets scoring below this share of the best candidate are padding, not evidence.
MIN_SCORE_SHARE = 0.1
# A "key finding" must mention at least this share of the question's concept weight.
KEY_FINDING_RELEVANCE = 0.7
# How much more an open question's direct answer prefers a sentence of the asked-for facet.
LEAD_INTENT_FACTOR = 2.0
LEAD_COVERAGE_FACTOR = 2.0
# "What is X?" is answered first by a sentence saying what X is ("X is a ...").
_DEFINES = re.compile(r"^(?:\S+\s+){1,6}?(?:is|are|refers to)\s+(?:a|an|the|one|any)\b", re.I)
# Populations in which evidence from other people does not transfer: a question about one gets
# a verdict only from sources that name it (any word of its group).
POPULATIONS: list[frozenset[str]] = [
    frozenset(tokenize("pregnancy pregnant pregnancies gestation gestational trimester "
                       "antenatal prenatal fetus fetal")),
    frozenset(tokenize("breastfeeding lactation lactating breastfed nursing")),
    frozenset(tokenize("child children childhood pediatric paediatric infant infants newborn "
                       "newborns neonate neonates neonatal toddler toddlers adolescent "
                       "adolescents teenager teenagers kids")),
    frozenset(tokenize("elderly geriatric older seniors")),
]

__all__ = ["DISCLAIMERS", "compose", "facet_of", "question_type"]


@dataclass
class _Draft:
    """A bullet before numbering: its text and the (document, sentence) pairs it stands on."""

    text: str
    sources: list = field(default_factory=list)
    # The candidates it stands on (the lead and merged duplicates share one bullet).
    candidates: list[Candidate] = field(default_factory=list)


def compose(
    question: str,
    hits: list[Hit],
    *,
    reader: EvidenceReader | None = None,
    audience: Audience = "clinician",
    max_references: int = 8,
    max_bullets_per_section: int = 4,
    idf: Callable[[str], float] | None = None,
    verdict_reader: LLMVerdictReader | None = None,
    evidence_reader: EvidenceReader | None = None,
    answers_gate: float = 0.0,
    focus_abstains: FocusAbstains = "off",
    threshold: float | None = None,
    verdict_concepts: VerdictConcepts = "focus",
    max_bullets: int = 14,
    max_key_findings: int = 4,
    read_budget: int = 40,
    read_per_document: int = 8,
) -> Answer:
    """The answer page for `question` from retrieved `hits`; `idf` is the library's term idf.

    The evidence `reader` (default: the shipped weights) decides which sentences address the
    question and what they say about it; with a `verdict_reader` (an optional language model) the yes/no verdict is the model's
    reading of the cited sentences. The page's text stays extractive either way. With an
    `evidence_reader` (the evidence-set reader) the cited passages are also read together and
    that reading joins the verdict; below `answers_gate` (the set's relevance) the page abstains,
    and it abstains when no quoted passage names the question's focus concept, for the
    questions `focus_abstains` names. `threshold`
    overrides the reader's relevance threshold; `verdict_concepts` is which of the question's
    concepts the quoted passages must name for a yes/no verdict (see `VerdictConcepts`).
    `max_bullets` and `max_key_findings` cap the page; `read_budget` and `read_per_document` the
    sentences the reader reads (the Settings fields of the same names).
    """
    reader = reader or require_reader()
    analysis = analyze_question(question)
    considered = hits[:max_references]
    relevance = Relevance(analysis, considered, idf)
    pool = candidates(analysis, considered, relevance, reader, max_documents=max_references,
                      threshold=threshold, read_budget=read_budget,
                      per_document=read_per_document) if considered else []
    if considered and not pool:
        # The relevant documents hold only cut-off passages (snippets): quote those excerpts
        # rather than claim the library says nothing. The reader still decides relevance.
        pool = candidates(analysis, considered, relevance, reader,
                          max_documents=max_references, threshold=threshold, excerpts=True,
                          read_budget=read_budget, per_document=read_per_document)
    if not pool:
        return _abstain(analysis, audience, _unnamed(analysis, relevance, considered))
    groups = asked_populations(analysis)
    if groups:
        # Evidence from other people does not transfer to pregnancy, children...: only sources
        # that name the population asked about may answer.
        pool = [c for c in pool if all(g & relevance.doc_tokens[c.document.id] for g in groups)]
        if not pool:
            return _abstain(analysis, audience, population=_population_word(analysis, groups))

    lead = max(pool, key=lambda cand: _lead_score(analysis, cand))
    floor = MIN_SCORE_SHARE * pool[0].score
    # The lead goes first so that other sources stating the same finding join its citations.
    lead, *rest = deduplicate([lead, *(c for c in pool if c is not lead and c.score >= floor)])
    direct = _Draft(lead.text, [(lead.hit, lead.sentence), *lead.also], [lead])
    drafts = _sections(analysis, rest, max_bullets_per_section, max_bullets, max_key_findings)

    verdict = summary = None
    scores: dict[str, float] = {}
    notices: list[str] = []
    mode = "extractive"
    shown = [direct, *(d for _, ds in drafts for d in ds)]
    # What the quoted passages name, as the reader saw them (document title | sentence), not
    # the rest of their documents: a screening abstract that mentions vaccination once in its
    # background is not vaccination evidence.
    passage_tokens: dict[tuple[str, str], set[str]] = {}

    def named(hit: Hit, text: str) -> set[str]:
        key = (hit.document.id, text)
        if key not in passage_tokens:
            passage_tokens[key] = set(concept_tokens(f"{hit.document.title} {text}"))
        return passage_tokens[key]

    mentioned: set[str] = set().union(*(named(hit, sentence.text)
                                        for draft in shown for hit, sentence in draft.sources))
    closed = analysis.is_yesno or analysis.qtype == "advice"
    if (focus_abstains == "all" or (focus_abstains == "closed" and closed)) \
            and relevance.focus and relevance.focus not in mentioned:
        # The reader found passages on the topic, but none names what the question is most
        # specifically about ("stiff neck" with fever): they answer a different question.
        return _abstain(analysis, audience, _absent(analysis, relevance, mentioned),
                        quoted=True)
    missing = _missing_concepts(analysis, relevance, mentioned)
    quoted = [f"{hit.document.title} {sentence.text}"
              for draft in shown for hit, sentence in draft.sources]
    unclaimed = [rule.name for rule in analysis.claims
                 if not any(rule.pattern.search(text) for text in quoted)]
    if unclaimed:
        named_claims = " or ".join(f'"{name}"' for name in unclaimed)
        missing.append(f"Partial evidence: none of the quoted sources says {named_claims}, "
                       "which the question asks about, so no verdict is given.")
    cited = [(c, CitedReading(c.document.id, c.document_weight, c.reading,
                              relevance.share(named(c.hit, c.sentence.text))))
             for draft in shown for c in draft.candidates]
    evidence = None
    # Read only where the reading is used: the verdict, or a page gate that is switched on.
    if evidence_reader is not None and cited and (analysis.is_yesno or answers_gate > 0):
        # Strongest votes first: the reader's token limit cuts the weakest passages.
        ranked = sorted(cited, key=lambda pair: -pair[1].vote)
        items = list(dict.fromkeys((c.document.title, c.sentence.text) for c, _ in ranked))
        evidence = evidence_reader.read(question, [evidence_text(items)])[0]
        if evidence.relevance < answers_gate:
            # Each passage passed the sentence reader, but read together they answer another
            # question: say the library lacks evidence rather than show them.
            return _abstain(analysis, audience, _unnamed(analysis, relevance, considered))
    if analysis.is_yesno:
        verdict, summary, scores = decide([reading for _, reading in cited], evidence)
        if verdict_reader is not None:
            texts = list(dict.fromkeys(sentence.text for draft in shown
                                       for _, sentence in draft.sources))
            try:
                verdict = verdict_reader.verdict(question, texts).verdict
                mode = f"extractive; verdict read by {verdict_reader.model}"
            except LLMError as error:
                notices.append(f"The configured language model gave no usable verdict "
                               f"({error}); the verdict is CiteMed's own stance reading.")
        focus_missing = bool(relevance.focus and relevance.focus not in mentioned)
        subject_missing = any(c not in mentioned for c in analysis.subject)
        if unclaimed or (verdict_concepts == "every" and (missing or focus_missing)) \
                or (verdict_concepts == "subject" and (subject_missing or focus_missing)) \
                or (verdict_concepts == "focus" and focus_missing):
            # Evidence that never names a main concept of the question, or the qualifier its
            # claim turns on, answers another question: "Is HPV vaccination effective?" gets
            # no verdict from screening studies, only the "Partial evidence" notice naming
            # what is missing.
            verdict = "insufficient"

    citations = Citations()
    direct_answer = DirectAnswer(
        text=direct.text, verdict=verdict, verdict_scores=scores,
        citations=_cite(citations, direct.sources),
        sentence_ids=[s.sentence_id for _, s in direct.sources],
    )
    sections = []
    for facet, bullets in drafts:
        section = AnswerSection(facet=facet, title=FACET_TITLES[facet])
        for draft in bullets:
            section.bullets.append(Bullet(
                text=draft.text, citations=_cite(citations, draft.sources),
                sentence_ids=[s.sentence_id for _, s in draft.sources],
            ))
        sections.append(section)
    references = citations.references()
    return Answer(
        question=question, resolved_question=question, question_type=analysis.qtype,
        audience=audience, direct_answer=direct_answer, sections=sections,
        references=references, evidence_summary=summary,
        disclaimer=DISCLAIMERS[audience], generation=Generation(mode=mode),
        notices=[*notices, *missing],
    )


def asked_populations(analysis: QuestionAnalysis) -> list[frozenset[str]]:
    """The population groups (pregnancy, children...) the question names."""
    asked = set(concept_tokens(analysis.text))
    return [group for group in POPULATIONS if group & asked]


def _population_word(analysis: QuestionAnalysis, groups: list[frozenset[str]]) -> str:
    words = concept_words(analysis.text)
    return " and ".join(next(words.get(s, s) for s in concept_tokens(analysis.text) if s in g)
                        for g in groups)


def _unnamed(analysis: QuestionAnalysis, relevance: Relevance, hits: list[Hit]) -> str:
    """The question's most specific concepts that no retrieved source names, for the abstention
    message ("" when every concept is named somewhere but nothing addresses the question)."""
    named: set[str] = set().union(*(relevance.doc_tokens[h.document.id] for h in hits)) \
        if hits else set()
    return _absent(analysis, relevance, named)


def _absent(analysis: QuestionAnalysis, relevance: Relevance, named: set[str]) -> str:
    """The two most specific question concepts not in `named`, in the question's own words."""
    words = concept_words(analysis.text)
    absent = [c for c in sorted(relevance.weights, key=lambda c: -relevance.weights[c])
              if c not in named]
    return " or ".join(f'"{words.get(c, c)}"' for c in absent[:2])


def _missing_concepts(analysis: QuestionAnalysis, relevance: Relevance,
                      mentioned: set[str]) -> list[str]:
    """Say so when the cited sources never mention a key concept of the question."""
    if not relevance.weights:
        return []
    median = sorted(relevance.weights.values())[(len(relevance.weights) - 1) // 2]
    words = concept_words(analysis.text)
    missing = [words.get(c, c) for c, w in relevance.weights.items()
               if w >= median and c not in mentioned]
    if not missing:
        return []
    named = " or ".join(f'"{w}"' for w in missing)
    return [f"Partial evidence: none of the quoted sources mentions {named}, so they address "
            "only part of the question; read any verdict with that in mind."]


def _lead_score(analysis: QuestionAnalysis, cand: Candidate) -> float:
    """Scores already weigh document relevance, evidence kind and role. For a yes/no question
    a conclusion that names the question's concepts counts extra: it is what a reader wants.
    An open question ("How is X diagnosed?") is answered first by a statement of the facet it
    asks for, whichever part of a source it comes from."""
    # Of sentences the reader finds relevant, the lead names what was asked, best all of it:
    # "Is smoking a risk factor for RA?" is answered by the sentence about smoking, not the one
    # about gum disease that the reader also finds on topic.
    covers = (LEAD_COVERAGE_FACTOR if cand.coverage >= 1.0 - 1e-9 else 1.0) \
        * (0.2 + cand.coverage) ** 2
    if analysis.is_yesno:
        return cand.score * covers * (1.0 + cand.relevance if cand.role == "conclusion" else 1.0)
    on_intent = LEAD_INTENT_FACTOR if cand.facet == analysis.intent_facet else 1.0
    if analysis.qtype == "definition" and _DEFINES.match(cand.text):
        on_intent = LEAD_INTENT_FACTOR
    # A page section written to answer this very question ("What are the treatments for
    # gout?") outranks a study that only mentions the asked-for facet in passing, when the
    # sentence's own wording is about it too ("TB is caused by a bacterium" is not).
    topic = str(cand.document.extra.get("question_type") or "")
    if analysis.intent_facet and PAGE_TOPIC_FACET.get(topic) == analysis.intent_facet \
            and facet_of(cand.text) == analysis.intent_facet:
        on_intent *= LEAD_INTENT_FACTOR
    return cand.score * (1.0 + cand.relevance) * on_intent * covers


def _sections(analysis: QuestionAnalysis, pool: list[Candidate], per_section: int,
              max_bullets: int, max_key_findings: int) -> list[tuple[str, list[_Draft]]]:
    by_facet: dict[str, list[_Draft]] = {}
    placed = 0
    for cand in pool:
        if placed >= max_bullets:
            break
        facet = cand.facet
        key = by_facet.get("answer", [])
        if (analysis.is_yesno and cand.relevance >= KEY_FINDING_RELEVANCE
                and cand.role in ("conclusion", "result") and len(key) < max_key_findings):
            facet = "answer"
        bullets = by_facet.setdefault(facet, [])
        if len(bullets) >= per_section:
            continue
        sources = [(cand.hit, cand.sentence), *cand.also]
        bullets.append(_Draft(cand.text, sources, [cand]))
        placed += 1
    return [(f, by_facet[f]) for f in section_plan(analysis) if by_facet.get(f)]


def _cite(citations: Citations, sources: list) -> list[int]:
    numbers: list[int] = []
    for hit, sentence in sources:
        number = citations.cite(hit.document, sentence)
        if number not in numbers:
            numbers.append(number)
    return numbers


def _abstain(analysis: QuestionAnalysis, audience: Audience, unnamed: str = "", *,
             population: str = "", quoted: bool = False) -> Answer:
    """The page when the library holds no evidence that answers the question; `unnamed` is the
    missing concept, named by no source (or, `quoted`, by no passage closest to the question)."""
    topic = " ".join(t for t in raw_tokens(analysis.text) if t not in STOPWORDS)
    if population:
        text = (f"The library holds no evidence on this question in {population}: its sources "
                f"on the topic do not mention {population}, and advice for other people may not "
                f"apply. Ask a clinician; to answer it here, ingest guidelines or studies on: "
                f"{topic} (citemed ingest PATH).")
    else:
        what = (f"the passages closest to it never mention {unnamed}" if unnamed and quoted
                else f"none of its sources mentions {unnamed}" if unnamed
                else "none of the sources found addresses it directly")
        text = (f"The library holds no direct evidence on this question: {what}. To answer it, "
                f"ingest guidelines, systematic reviews or PubMed abstracts on: {topic} "
                "(citemed ingest PATH).")
    return Answer(
        question=analysis.text, resolved_question=analysis.text, question_type=analysis.qtype,
        audience=audience, abstained=True,
        direct_answer=DirectAnswer(
            text=text, verdict="insufficient" if analysis.is_yesno else None),
        evidence_summary=None,
        disclaimer=DISCLAIMERS[audience],
    )
