from citemed.engine import Engine
from citemed.model import extracted_text


def _engine(library):
    return Engine(library.settings, library=library)


def test_every_bullet_is_traceable_to_the_sentences_it_cites(library):
    answer = _engine(library).ask("Is aromatase inhibitor joint pain linked to estrogen?")
    assert not answer.abstained
    quotes = {q.sentence_id: q.text for r in answer.references for q in r.quotes}
    numbers = {r.number for r in answer.references}
    for bullet in [answer.direct_answer, *answer.all_bullets()]:
        assert bullet.citations and set(bullet.citations) <= numbers
        cited_text = " ".join(quotes[sid] for sid in bullet.sentence_ids)
        assert extracted_text(bullet.text, bullet.substitutions) in cited_text


def test_references_number_by_first_appearance_and_all_are_cited(library):
    answer = _engine(library).ask("What treatment helps aromatase inhibitor joint pain?")
    order = []
    for numbers in [answer.direct_answer.citations] + [b.citations for b in answer.all_bullets()]:
        for n in numbers:
            if n not in order:
                order.append(n)
    assert order == sorted(order) == [r.number for r in answer.references]


def test_abstains_when_the_library_has_nothing(library):
    answer = _engine(library).ask("Is zolgensma effective for spinal muscular atrophy?")
    assert answer.abstained and answer.direct_answer.verdict == "insufficient"
    assert answer.references == [] and answer.sections == []
