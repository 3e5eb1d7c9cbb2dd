"""National Guideline Clearinghouse summaries (`ngc_public_domain_summaries.jsonl`).

One guideline per line. Every line of `major_recommendations` becomes its own paragraph, so
each recommendation (with the grade printed after it) is one citable sentence where the text
allows it; the grades are also collected per sentence into `extra["grades"]`. Other useful NGC
fields (objectives, population, benefits, harms...) follow as labelled sections; the grade
definitions that close the recommendations get their own section, and the rating schemes are
kept in `extra`.
"""

from __future__ import annotations

import re

from citemed.model import Document, Kind
from citemed.sources.base import make_section, text_field
from citemed.sources.jsonl import JsonLinesReader

# NGC field -> section label, in the order a clinician reads a guideline summary. Labels avoid
# words such as "outcome" or "recommend" that would make a sentence read as a finding.
FIELD_SECTIONS: list[tuple[str, str]] = [
    ("Guideline Objective(s)", "OBJECTIVES"),
    ("Disease/Condition(s)", "DISEASE OR CONDITION"),
    ("Target Population", "TARGET POPULATION"),
    ("Interventions and Practices Considered", "INTERVENTIONS CONSIDERED"),
    ("Potential Benefits", "BENEFITS"),
    ("Potential Harms", "HARMS"),
    ("Contraindications", "CONTRAINDICATIONS"),
    ("Qualifying Statements", "QUALIFYING STATEMENTS"),
]
# Fields that explain the grades rather than state guidance: kept with the document, not cited.
FIELD_EXTRAS: list[tuple[str, str]] = [
    ("Rating Scheme for the Strength of the Evidence", "evidence_rating_scheme"),
    ("Rating Scheme for the Strength of the Recommendations", "recommendation_rating_scheme"),
    ("Type of Evidence Supporting the Recommendations", "evidence_type"),
    ("Major Outcomes Considered", "outcomes_considered"),
]
# The "Definitions :" line that opens the grade definitions at the end of the recommendations.
_DEFINITIONS = re.compile(r"^definitions\s*:?\s*$", re.I)
_EMPTY_VALUES = {"not stated", "none provided", "not applicable", "none available", "none"}

# A grade printed after a recommendation: "( Strong for; Reviewed, Amended )", "( IA )",
# "( Strong Recommendation, Moderate-Quality Evidence )", "( Category ID )".
_TRAILING_PAREN = re.compile(r"\(\s*([^()]{1,160}?)\s*\)\s*$")
_GRADE_WORDS = re.compile(
    r"\b(strong|weak|conditional|consensus|grade|level|category|recommendation|evidence|"
    r"[A-D]|I{1,3}[ABC]?|[IV]{1,3}-?[1-3]?|expert opinion|EO)\b",
    re.I,
)
_DEVELOPER_TYPE = re.compile(r"\s+-\s+[^-]+\[[^\]]*\]\s*$")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def release_year(date_released: str) -> int | None:
    """Latest year in '1994 (revised 2013 Jul)': the revision is the version being cited."""
    years = [int(y) for y in _YEAR.findall(date_released)]
    return max(years) if years else None


def developer_name(raw: str) -> str:
    """'Washington State L&I - State/Local Government Agency [U.S.]' -> the organisation."""
    return _DEVELOPER_TYPE.sub("", raw).strip()


def grade_of(sentence: str) -> str | None:
    match = _TRAILING_PAREN.search(sentence)
    if match and _GRADE_WORDS.search(match.group(1)):
        return " ".join(match.group(1).split())
    return None


def _field_text(value: object) -> str:
    if isinstance(value, list):
        items = [" ".join(str(v).split()) for v in value if str(v).strip()]
        return "\n".join(f"- {item}" for item in items)
    text = str(value or "").strip()
    return "" if text.lower().rstrip(".") in _EMPTY_VALUES else text


def _paragraphs(text: str) -> str:
    """One paragraph per source line: NGC lines are recommendations, headings or list items."""
    return "\n\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def split_definitions(text: str) -> tuple[str, str]:
    """(recommendations, grade definitions) split at a 'Definitions :' line, if there is one."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if _DEFINITIONS.match(line.strip()):
            return "\n".join(lines[:index]), "\n".join(lines[index + 1:])
    return text, ""


class NGCReader(JsonLinesReader):
    name = "ngc"
    signature = frozenset({"major_recommendations", "developers", "date_released"})

    def document(self, record: dict) -> Document:
        raw_id = text_field(record, "id", required=True)
        local_id = raw_id.removeprefix("ngc-")
        title = " ".join(text_field(record, "title", required=True).split())
        recommendations, definitions = split_definitions(
            text_field(record, "major_recommendations"))
        recommendations, definitions = _paragraphs(recommendations), _paragraphs(definitions)
        fields = record.get("fields") or {}
        if not isinstance(fields, dict):
            raise TypeError("field 'fields' should be an object")
        sections = []
        grades: list[dict[str, object]] = []
        if recommendations:
            section = make_section("RECOMMENDATIONS", recommendations)
            sections.append(section)
            for sentence in section.sentences:
                grade = grade_of(sentence.text)
                if grade:
                    grades.append({"sentence": sentence.index, "grade": grade})
        for key, label in FIELD_SECTIONS:
            text = _paragraphs(_field_text(fields.get(key)))
            if text:
                sections.append(make_section(label, text))
        if definitions:
            sections.append(make_section("GRADE DEFINITIONS", definitions))
        if not sections:
            raise ValueError("no recommendations and no other summary text")
        developers = [str(d) for d in record.get("developers") or []]
        pmids = [str(p) for p in record.get("bibliographic_pmids") or []]
        date_released = text_field(record, "date_released")
        condition = record.get("disease_condition") or ""
        terms = [line.strip(" -") for line in str(condition).splitlines()]
        terms += [str(t) for t in fields.get("Clinical Specialty") or [] if isinstance(t, str)]
        return Document(
            id=f"ngc:{local_id}",
            collection="ngc",
            kind=Kind.GUIDELINE,
            title=title.rstrip("."),
            source="; ".join(dict.fromkeys(developer_name(d) for d in developers)),
            year=release_year(date_released),
            pmid=pmids[0] if pmids else None,
            terms=[t for t in terms if t],
            sections=sections,
            extra={
                "ngc_id": raw_id,
                "date_released": date_released,
                "developers": developers,
                "pmids": pmids,
                "grades": grades,
                "guideline_status": text_field(record, "guideline_status"),
                "bibliographic_source": text_field(record, "bibliographic_source"),
                "copyright": text_field(record, "copyright_statement"),
                **{name: text for key, name in FIELD_EXTRAS
                   if (text := _field_text(fields.get(key)))},
            },
        )
