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
from functools import partial

from citemed.compose.abstain import (
    DISCLAIMERS,
    absent,
    abstain,
    asked_populations,
    missing_concepts,
    population_word,
    quoted_words,
    unnamed,
    unnamed_key_concepts,
)
from citemed.compose.facets import FACET_TITLES, PAGE_TOPIC_FACET, facet_of
from citemed.compose.llm import LLMError, LLMVerdictReader
from citemed.compose.question import (
    QuestionAnalysis,
    analyze_question,
    concept_tokens,
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
    EvidenceSummary,
    FocusAbstains,
    Generation,
    Hit,
    Rule,
    Verdict,
    VerdictConcepts,
)
from citemed.readers import EvidenceReader, Reading, evidence_text
from citemed.readers import require as require_reader

# Bullets scoring below this share of the best candidate are padding, not evidence.
MIN_SCORE_SHARE = 0.1
# A "key finding" must mention at least this share of the question's concept weight.
KEY_FINDING_RELEVANCE = 0.7
# How much more an open question's direct answer prefers a sentence of the asked-for facet.
LEAD_INTENT_FACTOR = 2.0
LEAD_COVERAGE_FACTOR = 2.0
# "What is X?" is answered first by a sentence saying what X is ("X is a ...").
_DEFINES = re.compile(r"^(?:\S+\s+){1,6}?(?:is|are|refers to)\s+(?:a|an|the|one|any)\b", re.I)
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
    verdict_concepts: VerdictConcepts = "subject",
    max_bullets: int = 14,
    max_key_findings: int = 4,
    read_budget: int = 40,
    read_per_document: int = 8,
) -> Answer:
    """The answer page for `question` from retrieved `hits`; `idf` is the library's term idf.

    The `reader` (default: the shipped weights) decides which sentences address the question
    and what they say; an `evidence_reader` reads the cited passages together for the verdict
    (below `answers_gate`, its set relevance, the page abstains); a `verdict_reader` (an
    optional language model) replaces the pooled verdict. `focus_abstains` and
    `verdict_concepts` say when missing concepts withhold the page or the verdict; the other
    arguments are the Settings fields of the same names. The text stays extractive.
    """
    reader = reader or require_reader()
    analysis = analyze_question(question)
    considered = hits[:max_references]
    relevance = Relevance(analysis, considered, idf)
    read = partial(candidates, analysis, considered, relevance, reader,
                   max_documents=max_references, threshold=threshold, read_budget=read_budget,
                   per_document=read_per_document)
    pool = read() if considered else []
    if considered and not pool:
        # The relevant documents hold only cut-off passages (snippets): quote those excerpts
        # rather than claim the library says nothing. The reader still decides relevance.
        pool = read(excerpts=True)
    if not pool:
        return abstain(analysis, audience, unnamed(analysis, relevance, considered))
    groups = asked_populations(analysis)
    if groups:
        # Evidence from other people does not transfer to pregnancy, children...: only sources
        # that name the population asked about may answer.
        pool = [c for c in pool if all(g & relevance.doc_tokens[c.document.id] for g in groups)]
        if not pool:
            return abstain(analysis, audience, population=population_word(analysis, groups))

    lead = max(pool, key=lambda cand: _lead_score(analysis, cand))
    floor = MIN_SCORE_SHARE * pool[0].score
    # The lead goes first so that other sources stating the same finding join its citations.
    lead, *rest = deduplicate([lead, *(c for c in pool if c is not lead and c.score >= floor)])
    direct = _Draft(lead.text, [(lead.hit, lead.sentence), *lead.also], [lead])
    drafts = _sections(analysis, rest, max_bullets_per_section, max_bullets, max_key_findings)

    shown = [direct, *(d for _, ds in drafts for d in ds)]
    named = _PassageConcepts()
    mentioned: set[str] = set().union(*(named(hit, sentence.text)
                                        for draft in shown for hit, sentence in draft.sources))
    closed = analysis.is_yesno or analysis.qtype == "advice"
    if focus_abstains == "all" or (focus_abstains == "closed" and closed):
        if relevance.focus and relevance.focus not in mentioned:
            # The reader found passages on the topic, but none names what the question is most
            # specifically about ("stiff neck" with fever): they answer a different question.
            return abstain(analysis, audience, absent(analysis, relevance, mentioned),
                           quoted=True)
        subject_gap = _subject_gap(verdict_concepts, analysis, relevance, mentioned)
        if subject_gap:
            # Screening studies for "Is HPV vaccination effective?": no verdict can stand on
            # them, and as bullets they would answer another question.
            return abstain(analysis, audience, quoted_words(analysis, subject_gap), quoted=True)
    missing = missing_concepts(analysis, relevance, mentioned)
    unclaimed = _unclaimed(analysis, shown)
    if unclaimed:
        named_claims = " or ".join(f'"{name}"' for name in unclaimed)
        consequence = ("so no verdict is given" if analysis.is_yesno else
                       "so they answer only the rest of the question")
        missing.append(f"Partial evidence: none of the quoted sources says {named_claims}, "
                       f"which the question asks about, {consequence}.")
    cited = [(c, CitedReading(c.document.id, c.document_weight, c.reading,
                              relevance.share(named(c.hit, c.sentence.text))))
             for draft in shown for c in draft.candidates]
    if analysis.is_yesno and analysis.claims and not unclaimed:
        # "Should opioids be first-line therapy?" is answered by what sources say about
        # first-line use, not by their sentences on monitoring or dosing.
        cited = [pair for pair in cited
                 if _states_claim(analysis.claims, pair[0].document.title, pair[0].sentence.text)]
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
            return abstain(analysis, audience, unnamed(analysis, relevance, considered))
    page = _Verdict()
    if analysis.is_yesno:
        page = _yesno_verdict(question, [reading for _, reading in cited], evidence, shown,
                              verdict_reader)
        if unclaimed or _lacks_concepts(verdict_concepts, analysis, relevance, mentioned,
                                        bool(missing)):
            page.verdict = "insufficient"
    page.notices.extend(missing)
    return _page(question, analysis, audience, direct, drafts, page)


class _PassageConcepts:
    """What a quoted passage names, as the reader saw it (document title | sentence), not the
    rest of its document: a screening abstract that mentions vaccination once in its
    background is not vaccination evidence."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], set[str]] = {}

    def __call__(self, hit: Hit, text: str) -> set[str]:
        key = (hit.document.id, text)
        if key not in self._seen:
            self._seen[key] = set(concept_tokens(f"{hit.document.title} {text}"))
        return self._seen[key]


def _lacks_concepts(rule: VerdictConcepts, analysis: QuestionAnalysis, relevance: Relevance,
                    mentioned: set[str], missing: bool) -> bool:
    """Whether the quoted passages miss a concept `rule` requires for a verdict. Evidence that
    never names a main concept of the question answers another question: "Is HPV vaccination
    effective?" gets no verdict from screening studies, only the "Partial evidence" notice."""
    focus_missing = bool(relevance.focus and relevance.focus not in mentioned)
    if rule == "every":
        return missing or focus_missing
    if rule == "subject":
        return focus_missing or bool(_subject_gap(rule, analysis, relevance, mentioned))
    return rule == "focus" and focus_missing


def _states_claim(rules: tuple[Rule, ...], title: str, text: str) -> bool:
    """Does the passage (title | sentence) state one of the claim qualifiers `rules`?"""
    passage = f"{title} {text}"
    return any(rule.pattern.search(passage) for rule in rules)


def _subject_gap(rule: VerdictConcepts, analysis: QuestionAnalysis, relevance: Relevance,
                 mentioned: set[str]) -> list[str]:
    """Under the subject rule, the key concepts of a yes/no question's subject that no quoted
    passage names. Only key concepts: "effective" or "protein" in a subject is not what the
    question is about, "vaccination" is."""
    if rule != "subject":
        return []
    return [c for c in unnamed_key_concepts(relevance, mentioned) if c in analysis.subject]


def _unclaimed(analysis: QuestionAnalysis, shown: list[_Draft]) -> list[str]:
    """The question's claim qualifiers ("first-line") that no quoted passage states."""
    return [rule.name for rule in analysis.claims
            if not any(_states_claim((rule,), hit.document.title, sentence.text)
                       for draft in shown for hit, sentence in draft.sources)]


@dataclass
class _Verdict:
    """A page's verdict and how it was reached (none for questions that are not yes/no)."""

    verdict: Verdict | None = None
    summary: EvidenceSummary | None = None
    scores: dict[str, float] = field(default_factory=dict)
    mode: str = "extractive"
    notices: list[str] = field(default_factory=list)


def _yesno_verdict(question: str, cited: list[CitedReading], evidence: Reading | None,
                   shown: list[_Draft], verdict_reader: LLMVerdictReader | None) -> _Verdict:
    """The stance pooled from the cited readings, or the configured language model's reading
    of the quoted sentences (the pooled one when the model gives no usable answer)."""
    verdict, summary, scores = decide(cited, evidence)
    out = _Verdict(verdict, summary, scores)
    if verdict_reader is not None:
        texts = list(dict.fromkeys(sentence.text for draft in shown
                                   for _, sentence in draft.sources))
        try:
            out.verdict = verdict_reader.verdict(question, texts).verdict
            out.mode = f"extractive; verdict read by {verdict_reader.model}"
        except LLMError as error:
            out.notices.append(f"The configured language model gave no usable verdict "
                               f"({error}); the verdict is CiteMed's own stance reading.")
    return out


def _page(question: str, analysis: QuestionAnalysis, audience: Audience, direct: _Draft,
          drafts: list[tuple[str, list[_Draft]]], verdict: _Verdict) -> Answer:
    """The answer page: citations numbered in reading order, direct answer first."""
    citations = Citations()
    direct_answer = DirectAnswer(
        text=direct.text, verdict=verdict.verdict, verdict_scores=verdict.scores,
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
    return Answer(
        question=question, resolved_question=question, question_type=analysis.qtype,
        audience=audience, direct_answer=direct_answer, sections=sections,
        references=citations.references(), evidence_summary=verdict.summary,
        disclaimer=DISCLAIMERS[audience], generation=Generation(mode=verdict.mode),
        notices=verdict.notices,
    )


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


