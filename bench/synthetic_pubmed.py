"""Synthetic PubMed XML in NLM's layout, for ingest benchmarks and the crash/resume test.

Every word is generated from syllables with a seeded RNG: no real abstract text is copied.
The record for PMID p has `sections_for(p)` abstract sections, so a test can check that each
stored document is complete.
"""

from __future__ import annotations

import gzip
import itertools
import random
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

SYLLABLES = ["ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "ve", "zu", "an", "el", "is", "or",
             "ul", "thy", "bro", "cal", "den", "fen", "gly", "hep", "lin", "mab", "nex", "pril"]
LABELS = ["BACKGROUND", "OBJECTIVE", "METHODS", "RESULTS", "CONCLUSIONS"]
PUBLICATION_TYPES = ["Journal Article", "Randomized Controlled Trial", "Review", "Meta-Analysis",
                     "Observational Study", "Case Reports", "Practice Guideline"]
FIRST_PMID = 50_000_000


def sections_for(pmid: int) -> int:
    return 2 + pmid % 4


def _vocabulary(size: int = 20_000, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(SYLLABLES, k=rng.randint(1, 4))) for _ in range(size)]


# Zipf-like: earlier words are picked more often, as in real text.
VOCABULARY = _vocabulary()
CUMULATIVE_WEIGHTS = list(itertools.accumulate(1.0 / (rank + 10) for rank in range(len(VOCABULARY))))


def _word(rng: random.Random) -> str:
    return rng.choices(VOCABULARY, cum_weights=CUMULATIVE_WEIGHTS)[0]


def _sentence(rng: random.Random) -> str:
    words = rng.choices(VOCABULARY, cum_weights=CUMULATIVE_WEIGHTS, k=rng.randint(8, 24))
    if rng.random() < 0.3:
        words.insert(rng.randint(1, len(words) - 1), f"{rng.randint(1, 99)}.{rng.randint(0, 9)}%")
    return " ".join(words).capitalize() + "."


def article_xml(pmid: int, rng: random.Random) -> str:
    abstract = "".join(
        f'<AbstractText Label="{label}" NlmCategory="{label}">'
        f"{escape(' '.join(_sentence(rng) for _ in range(rng.randint(2, 4))))}</AbstractText>"
        for label in (LABELS * 2)[: sections_for(pmid)]
    )
    mesh = "".join(f'<MeshHeading><DescriptorName UI="D{rng.randint(1, 99999):06d}">'
                   f"{_word(rng).capitalize()}</DescriptorName></MeshHeading>" for _ in range(4))
    types = "".join(f"<PublicationType>{t}</PublicationType>"
                    for t in {"Journal Article", rng.choice(PUBLICATION_TYPES)})
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID><Article PubModel="Print"><Journal><JournalIssue>'
        f"<PubDate><Year>{rng.randint(1990, 2025)}</Year></PubDate></JournalIssue>"
        f"<Title>Journal of {_word(rng).capitalize()} Studies</Title></Journal>"
        f"<ArticleTitle>{escape(_sentence(rng))}</ArticleTitle>"
        f'<ELocationID EIdType="doi" ValidYN="Y">10.5555/syn.{pmid}</ELocationID>'
        f"<Abstract>{abstract}</Abstract><PublicationTypeList>{types}</PublicationTypeList>"
        f"</Article><MeshHeadingList>{mesh}</MeshHeadingList></MedlineCitation>"
        f'<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
        f"</ArticleIdList></PubmedData></PubmedArticle>\n"
    )


def write_pubmed_xml(path: Path, count: int, *, seed: int = 7, first: int = FIRST_PMID,
                     deleted: Iterable[int] = ()) -> list[int]:
    """Write `count` citations from PMID `first` on (gzipped when the name ends in .gz), then a
    DeleteCitation of the `deleted` PMIDs, as in NLM's update files; return the PMIDs written.
    Another seed gives the same PMIDs other text: a file of revised citations."""
    rng = random.Random(seed)
    pmids = list(range(first, first + count))
    if path.name.endswith(".gz"):
        # Level 1: NLM's files are gzip too, and the benchmark should time reading, not writing.
        out = gzip.open(path, "wt", encoding="utf-8", compresslevel=1)
    else:
        out = path.open("w", encoding="utf-8")
    with out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n')
        for pmid in pmids:
            out.write(article_xml(pmid, rng))
        gone = "".join(f'<PMID Version="1">{pmid}</PMID>' for pmid in deleted)
        if gone:
            out.write(f"<DeleteCitation>{gone}</DeleteCitation>\n")
        out.write("</PubmedArticleSet>\n")
    return pmids
