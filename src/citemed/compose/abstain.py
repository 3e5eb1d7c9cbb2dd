"""Pages and notices for evidence that is missing: the library holds none on the question,
none for the population asked about, or only on part of the question."""

from __future__ import annotations

from citemed.compose.question import QuestionAnalysis, concept_tokens, concept_words
from citemed.compose.select import Relevance
from citemed.model import Answer, Audience, DirectAnswer, Hit
from citemed.text import STOPWORDS, raw_tokens, tokenize

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


def asked_populations(analysis: QuestionAnalysis) -> list[frozenset[str]]:
    """The population groups (pregnancy, children...) the question names."""
    asked = set(concept_tokens(analysis.text))
    return [group for group in POPULATIONS if group & asked]


def population_word(analysis: QuestionAnalysis, groups: list[frozenset[str]]) -> str:
    words = concept_words(analysis.text)
    return " and ".join(next(words.get(s, s) for s in concept_tokens(analysis.text) if s in g)
                        for g in groups)


def unnamed(analysis: QuestionAnalysis, relevance: Relevance, hits: list[Hit]) -> str:
    """The question's most specific concepts that no retrieved source names, for the abstention
    message ("" when every concept is named somewhere but nothing addresses the question)."""
    named: set[str] = set().union(*(relevance.doc_tokens[h.document.id] for h in hits)) \
        if hits else set()
    return absent(analysis, relevance, named)


def absent(analysis: QuestionAnalysis, relevance: Relevance, named: set[str]) -> str:
    """The two most specific question concepts not in `named`, in the question's own words."""
    return quoted_words(analysis, [c for c in sorted(relevance.weights,
                                                     key=lambda c: -relevance.weights[c])
                                   if c not in named][:2])


def quoted_words(analysis: QuestionAnalysis, concepts: list[str]) -> str:
    """'"vaccination" or "supplementation"': concepts in the question's own words."""
    words = concept_words(analysis.text)
    return " or ".join(f'"{words.get(c, c)}"' for c in concepts)


def unnamed_key_concepts(relevance: Relevance, mentioned: set[str]) -> list[str]:
    """The question's key concepts (weight at or above its median), in the question's order,
    that no quoted passage names."""
    if not relevance.weights:
        return []
    median = sorted(relevance.weights.values())[(len(relevance.weights) - 1) // 2]
    return [c for c, w in relevance.weights.items() if w >= median and c not in mentioned]


def missing_concepts(analysis: QuestionAnalysis, relevance: Relevance,
                     mentioned: set[str]) -> list[str]:
    """Say so when the cited sources never mention a key concept of the question."""
    missing = unnamed_key_concepts(relevance, mentioned)
    if not missing:
        return []
    named = quoted_words(analysis, missing)
    return [f"Partial evidence: none of the quoted sources mentions {named}, so they address "
            "only part of the question; read any verdict with that in mind."]


def abstain(analysis: QuestionAnalysis, audience: Audience, unnamed: str = "", *,
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
