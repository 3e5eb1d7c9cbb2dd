"""Short forms on the patient page, explained by the cited documents' own definitions."""

from __future__ import annotations

from fastapi.testclient import TestClient

from citemed.audience.abbreviations import definitions, long_form
from citemed.engine import Engine
from citemed.model import Document, Kind
from citemed.sources.base import make_section
from citemed.web.app import create_app
from citemed.web.service import AnswerService

QUESTION = "Do women on aromatase inhibitors who exercise have less joint pain?"


def _exercise_trial() -> Document:
    return Document(
        id="abbr:ai-exercise", collection="abbr", kind=Kind.RANDOMIZED_TRIAL,
        title="Exercise and joint pain on aromatase inhibitors", source="Fixture Journal",
        year=2020, pmid="555",
        sections=[make_section("BACKGROUND", "Aromatase inhibitors (AIs) are taken after breast "
                                             "cancer and often cause joint pain."),
                  make_section("CONCLUSIONS", "Women on AIs who exercise have less joint pain.")])


def test_definitions_follow_the_letters_of_the_short_form():
    text = ("Aromatase inhibitors (AIs) cause pain. Double-balloon enteroscopy (DBE) is safe. "
            "The hazard ratio (HR) was 2. Patients were seen (NOTE) twice. glycated hemoglobin "
            "(HbA1c) fell. Blood pressure (bp) rose.")
    assert definitions(text) == {"AIs": "Aromatase inhibitors", "DBE": "Double-balloon enteroscopy",
                                 "HR": "hazard ratio"}
    # Every letter must be found, right to left, and the first must start a word.
    assert long_form("during rapid eye movement", "REM") == "rapid eye movement"
    assert long_form("a barrier", "BRX") is None
    assert long_form("the horse", "SE") is None


def test_patient_answers_list_the_short_forms_they_use_with_the_source_definition(library):
    library.ingest_documents([_exercise_trial()], source_name="fixture")
    library.refresh_indexes()
    engine = Engine(library.settings, library=library)
    patient = engine.ask(QUESTION, audience="patient")
    assert "AIs" in patient.direct_answer.text
    [abbreviation] = [a for a in patient.abbreviations if a.short_form == "AIs"]
    assert abbreviation.long_form == "Aromatase inhibitors"
    # Verbatim from the cited document, which the page cites.
    document = library.document(abbreviation.document_id)
    assert any(abbreviation.long_form + " (AIs)" in s.text for s in document.sections)
    assert abbreviation.document_id in {r.document_id for r in patient.references}
    assert engine.ask(QUESTION, audience="clinician").abbreviations == []
    # The page shows them under the short answer.
    service = AnswerService(library.settings, engine=engine)
    with TestClient(create_app(library.settings, service=service)) as client:
        page = client.get("/ask", params={"q": QUESTION, "audience": "patient"}).text
    assert "Short forms on this page" in page and "<dt>AIs</dt><dd>Aromatase inhibitors" in page
