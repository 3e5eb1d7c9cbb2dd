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
    concept_words,
    question_type,
    section_plan,
)
from citemed.compose.references import Citations
from citemed.compose.select import (
    Candidate,
    Relevance,
    candidates,
    deduplicate,
    evidence_by_document,
)
from citemed.compose.verdict import CONTRARY_NOTICE, decide, document_stance
from citemed.model import (
    Answer,
    AnswerSection,
    Audience,
    Bullet,
    DirectAnswer,
    Generation,
    Hit,
)
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
MAX_BULLETS = 14
MAX_KEY_FINDINGS = 4
# A "key finding" must mention at least this share of the question's concept weight.
KEY_FINDING_RELEVANCE = 0.7
# How much more an open question's direct answer prefers a sentence of the asked-for facet.
LEAD_INTENT_FACTOR = 2.0
# ...and any direct answer a sentence naming every concept of the question: "Is smoking a
# risk factor for RA?" is answered by the sentence about smoking, not one about gum disease.
LEAD_COVERAGE_FACTOR = 2.0
# "What is X?" is answered first by a sentence saying what X is ("X is a ...").
_DEFINES = re.compile(r"^(?:\S+\s+){1,6}?(?:is|are|refers to)\s+(?:a|an|the|one|any)\b", re.I)
# A yes/no verdict needs cited evidence naming at least half the question's concept weight.
UNADDRESSED_SHARE = 0.5
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


def compose(
    question: str,
    hits: list[Hit],
    *,
    audience: Audience = "clinician",
    max_references: int = 8,
    max_bullets_per_section: int = 4,
    idf: Callable[[str], float] | None = None,
    verdict_reader: LLMVerdictReader | None = None,
) -> Answer:
    """The answer page for `question` from retrieved `hits`; `idf` is the library's term idf.

    With a `verdict_reader` (an optional language model) the yes/no verdict is the model's
    reading of the cited sentences; the page's text stays extractive either way.
    """
    analysis = analyze_question(question)
    considered = hits[:max_references]
    relevance = Relevance(analysis, considered, idf) if considered else None
    pool = candidates(analysis, considered, relevance, max_documents=max_references) \
        if relevance else []
    if relevance and not pool:
        # The relevant documents hold only cut-off passages (snippets): quote those excerpts
        # rather than claim the library says nothing. The relevance gate is unchanged.
        pool = candidates(analysis, considered, relevance, max_documents=max_references,
                          excerpts=True)
    if not pool:
        return _abstain(analysis, audience)

    lead = max(pool, key=lambda cand: _lead_score(analysis, cand))
    floor = MIN_SCORE_SHARE * pool[0].score
    # The lead goes first so that other sources stating the same finding join its citations.
    lead, *rest = deduplicate([lead, *(c for c in pool if c is not lead and c.score >= floor)])
    direct = _Draft(lead.text, [(lead.hit, lead.sentence), *lead.also])
    drafts = _sections(analysis, rest, max_bullets_per_section)

    verdict = summary = None
    scores: dict[str, float] = {}
    notices: list[str] = []
    mode = "extractive"
    cited = list(dict.fromkeys(hit.document.id for draft in
                               [direct, *(d for _, ds in drafts for d in ds)]
                               for hit, _ in draft.sources))
    # What the cited sources name, once: the "indirect evidence" notice and the verdict rules
    # below both read it.
    mentioned = set().union(*(relevance.doc_tokens[d][1] for d in cited))
    missing = _missing_concepts(analysis, relevance, mentioned)
    if analysis.is_yesno:
        # Only the documents the page cites vote, so the evidence summary counts what the
        # reader can check in the reference list.
        stances = [document_stance(analysis, doc_id, weight, texts)
                   for doc_id, weight, texts in evidence_by_document(pool) if doc_id in cited]
        verdict, summary, scores = decide(stances)
        contrary = any(s.contrary for s in stances)
        leans_yes = bool(scores) and max(scores, key=scores.get) == "yes"  # type: ignore[arg-type]
        if verdict_reader is not None and stances:
            shown = list(dict.fromkeys(sentence.text for draft in
                                       [direct, *(d for _, ds in drafts for d in ds)]
                                       for _, sentence in draft.sources))
            try:
                verdict = verdict_reader.verdict(question, shown).verdict
                leans_yes = verdict == "yes"
                mode = f"extractive; verdict read by {verdict_reader.model}"
                if verdict == "yes" and contrary:
                    verdict = "uncertain"
            except LLMError as error:
                notices.append(f"The configured language model gave no usable verdict "
                               f"({error}); the verdict is CiteMed's own stance reading.")
        if verdict == "uncertain" and contrary and leans_yes:
            notices.append(CONTRARY_NOTICE)
        asked = set(analysis.concepts)
        if (relevance.focus and relevance.focus not in mentioned) or \
                1.0 - relevance.share(mentioned) >= UNADDRESSED_SHARE or any(
                    group & asked and not group & mentioned for group in POPULATIONS):
            # Evidence that never names the question's most specific concept, half of what it
            # asks about, or the population it asks about cannot answer it: "Is aspirin safe in
            # pregnancy?" gets no "probably yes" from a page on medicines in pregnancy that never
            # names aspirin, nor from an aspirin page that never mentions pregnancy.
            verdict = "insufficient"

    citations = Citations()
    direct_answer = DirectAnswer(
        text=direct.text, verdict=verdict, verdict_scores=scores,
        citations=_cite(citations, direct.sources),
        sentence_ids=[s.sentence_id for _, s in direct.sources],
    )
    sections = []
    for facet, bullets in drafts:
        section = AnswerSection(facet=facet, title=FACET_TITLES[facet])  # type: ignore[arg-type]
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
    return [f"None of the cited sources mentions {named}: the answer rests on indirect evidence."]


def _lead_score(analysis: QuestionAnalysis, cand: Candidate) -> float:
    """Scores already weigh document relevance, evidence kind and role. For a yes/no question
    a conclusion that names the question's concepts counts extra: it is what a reader wants.
    An open question ("How is X diagnosed?") is answered first by a statement of the facet it
    asks for, whichever part of a source it comes from."""
    covers = LEAD_COVERAGE_FACTOR if cand.relevance >= 1.0 - 1e-9 else 1.0
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


def _sections(analysis: QuestionAnalysis, pool: list[Candidate],
              per_section: int) -> list[tuple[str, list[_Draft]]]:
    by_facet: dict[str, list[_Draft]] = {}
    placed = 0
    for cand in pool:
        if placed >= MAX_BULLETS:
            break
        facet = cand.facet
        key = by_facet.get("answer", [])
        if (analysis.is_yesno and cand.relevance >= KEY_FINDING_RELEVANCE
                and cand.role in ("conclusion", "result") and len(key) < MAX_KEY_FINDINGS):
            facet = "answer"
        bullets = by_facet.setdefault(facet, [])
        if len(bullets) >= per_section:
            continue
        sources = [(cand.hit, cand.sentence), *cand.also]
        bullets.append(_Draft(cand.text, sources))
        placed += 1
    return [(f, by_facet[f]) for f in section_plan(analysis) if by_facet.get(f)]


def _cite(citations: Citations, sources: list) -> list[int]:
    numbers: list[int] = []
    for hit, sentence in sources:
        number = citations.cite(hit.document, sentence)
        if number not in numbers:
            numbers.append(number)
    return numbers


def _abstain(analysis: QuestionAnalysis, audience: Audience) -> Answer:
    topic = " ".join(t for t in raw_tokens(analysis.text) if t not in STOPWORDS)
    return Answer(
        question=analysis.text, resolved_question=analysis.text, question_type=analysis.qtype,
        audience=audience, abstained=True,
        direct_answer=DirectAnswer(
            text=("The library holds no evidence that addresses this question. To answer it, "
                  f"ingest guidelines, systematic reviews or PubMed abstracts on: {topic} "
                  "(citemed ingest PATH)."),
            verdict="insufficient" if analysis.is_yesno else None,
        ),
        evidence_summary=None,
        disclaimer=DISCLAIMERS[audience],
    )
