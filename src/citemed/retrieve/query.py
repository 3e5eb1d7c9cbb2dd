"""Query analysis: stemmed terms with weights, expanded from what the library itself teaches.

- Abbreviations mined from the library ("long form (SHORT)"): a short form in the question adds
  its long-form terms, so "AIMSS" also matches abstracts that spell the syndrome out.
- British/American spelling: "anaemia", "oesophageal", "tumour", "paediatric" also match the
  other spelling when the library holds it.
- Word families: "treated" also matches "treatment", "diagnosed" "diagnosis".
- Stop-wording is negation safe (see citemed.text.STOPWORDS): "not", "no", "without" stay.
Expansions get weights below 1 so an exact match always counts more.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field

from citemed.text import raw_tokens, tokenize

ABBREVIATION_WEIGHT = 0.5
SPELLING_WEIGHT = 1.0  # the same word spelled differently
# "inhibitor-induced" also yields "inhibitor" and "induced"; the whole compound is a bonus for
# the exact wording at half weight (full weight double-counts; dropping it hurt PubMedQA
# train_dev, keeping it full hurt SciFact train).
COMPOUND_WEIGHT = 0.5

# A question word is read as an abbreviation only when written like one ("AIMSS", "NSAIDs",
# "mTOR"): lower-case "aims" or "cat" are ordinary words.
_ABBREVIATION_LIKE = re.compile(r"\b[A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*\b")

# British -> American rewrites, applied to one word; tried in order, all that apply.
_SPELLING_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<=[a-z])ae(?=[a-z])"), "e"),  # anaemia, haemorrhage, paediatric
    (re.compile(r"(?<=[a-z]{2})oe(?=[a-z])"), "e"),  # diarrhoea, dyspnoea (not "does")
    (re.compile(r"^(f?)oe(?=[a-z])"), r"\1e"),  # oestrogen, oesophageal, oedema, foetal
    (re.compile(r"(?<=[a-z]{3})our(?=(s|al|ed|ing|ous)?$)"), "or"),  # tumour (not hour, four)
    (re.compile(r"(?<=[a-z]{3})is(?=(e|ed|es|ing|ation|ations)$)"), "iz"),  # randomised
    (re.compile(r"(?<=[a-z])ys(?=(e|ed|es|ing)$)"), "yz"),  # analysed, paralyse
    (re.compile(r"(?<=[a-z])tre$"), "ter"),  # centre, litre
    (re.compile(r"(?<=[a-z])ogue$"), "og"),  # analogue, catalogue
]


# Verb and noun of the same clinical act stem differently ("treated" -> treat, "treatments" ->
# treatment), so "How is gout treated?" would miss the page titled "Gout: treatment".
_WORD_FAMILIES = [
    ("treat", "treatment"), ("diagnose", "diagnosis"), ("manage", "management"),
    ("prevent", "prevention"), ("infect", "infection"), ("inject", "injection"),
    ("operate", "operation"), ("transplant", "transplantation"), ("vaccinate", "vaccination"),
    ("medicate", "medication"), ("inherit", "inheritance"), ("complicate", "complication"),
    ("examine", "examination"), ("recur", "recurrence"), ("resist", "resistance"),
    ("tolerate", "tolerance"), ("supplement", "supplementation"), ("inflame", "inflammation"),
    ("replace", "replacement"), ("detect", "detection"), ("progress", "progression"),
]
# Chosen on PubMedQA train_dev and SciFact train (0, 0.5, 0.8, 1.0 tried; 0.8 best on both).
FAMILY_WEIGHT = 0.8


def _families() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for family in _WORD_FAMILIES:
        stems = [stem for word in family for stem in tokenize(word)]
        for stem in stems:
            out.setdefault(stem, []).extend(s for s in stems if s != stem)
    return out


_FAMILY = _families()


@dataclass
class Query:
    text: str
    terms: dict[str, float]
    # Term -> the original term it expands (for coverage: a term counts once, by any variant).
    expansions: dict[str, str] = field(default_factory=dict)

    def groups(self, *, compounds: bool = True) -> dict[str, list[str]]:
        """Original term -> itself plus its expansions.

        `compounds=False` leaves out hyphenated terms ("inhibitor-induc") whose parts are query
        terms too: the parts carry the meaning, and the rare compound's large idf would
        otherwise make a document that writes "induced by inhibitors" look like a poor match.
        """
        out: dict[str, list[str]] = {}
        for term in self.terms:
            root = self.expansions.get(term, term)
            if not compounds and "-" in root and all(
                    part in self.terms for part in tokenize(root.replace("-", " "))):
                continue
            out.setdefault(root, []).append(term)
        return out


def spelling_variants(word: str) -> set[str]:
    variants = set()
    for pattern, replacement in _SPELLING_RULES:
        changed = pattern.sub(replacement, word)
        if changed != word:
            variants.add(changed)
    return variants


def analyze(text: str, *, vocab: Container[str] | None = None,
            abbreviations: Mapping[str, list[str]] | None = None) -> Query:
    """Stemmed query terms with weights; expansions only when `vocab` holds them."""
    terms: dict[str, float] = {}
    for token in tokenize(text):
        terms[token] = terms.get(token, 0.0) + (COMPOUND_WEIGHT if "-" in token else 1.0)
    query = Query(text=text, terms=terms)
    if vocab is None:
        return query
    originals = set(terms)
    for term in list(originals):
        for relative in _FAMILY.get(term, ()):
            _expand(query, relative, term, FAMILY_WEIGHT, vocab, originals)
    for word in raw_tokens(text):
        stems = tokenize(word)
        if not stems:
            continue
        root = stems[0]
        for variant in spelling_variants(word):
            for stem in tokenize(variant):
                _expand(query, stem, root, SPELLING_WEIGHT, vocab, originals)
    for match in _ABBREVIATION_LIKE.finditer(text):
        stems = tokenize(match.group(0))
        # `is None`, not truthiness: the library's mapping is in SQLite, and len() reads it all.
        long_terms = abbreviations.get(match.group(0).lower(), []) if abbreviations is not None \
            else []
        if not stems or not long_terms:
            continue
        for long_term in long_terms:
            # The long form shares one term's weight, so a spelled-out match counts like one
            # matched term, not like several.
            _expand(query, long_term, stems[0], ABBREVIATION_WEIGHT / len(long_terms), vocab,
                    originals)
    return query


def _expand(query: Query, term: str, root: str, weight: float, vocab: Container[str],
            originals: set[str]) -> None:
    if term in originals or term not in vocab:
        return
    query.terms[term] = max(query.terms.get(term, 0.0), weight)
    query.expansions.setdefault(term, root)
