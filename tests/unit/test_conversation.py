from __future__ import annotations

import pytest

from citemed.conversation import ThreadStore, Turn, focus_of, resolve_followup
from citemed.errors import InputError, NotFoundError


def after(previous: str, followup: str) -> str:
    return resolve_followup(followup, [Turn(question=previous, resolved_question=previous)])


def test_population_follow_up_replaces_the_earlier_population():
    assert after("Does metformin lower weight in women with type 2 diabetes?",
                 "what about in men?") == "Does metformin lower weight in men with type 2 diabetes?"


def test_population_follow_up_is_appended_when_the_earlier_question_had_none():
    assert after("Is anastrozole linked to joint pain?", "And in older women?") == (
        "Is anastrozole linked to joint pain in older women?")
    assert after("Is anastrozole linked to joint pain?", "What about children?") == (
        "Is anastrozole linked to joint pain in children?")
    assert after("Is ibuprofen safe?", "what about pregnancy?") == "Is ibuprofen safe during pregnancy?"
    assert after("Does metformin lower weight in women with type 2 diabetes?",
                 "what about women over 60?") == (
        "Does metformin lower weight in women over 60 with type 2 diabetes?")
    assert after("Is ibuprofen safe?", "what about pregnant women?") == (
        "Is ibuprofen safe in pregnant women?")
    assert after("Is ibuprofen safe?", "And in people with kidney disease?") == (
        "Is ibuprofen safe in people with kidney disease?")


def test_aspect_follow_up_carries_the_drug_forward():
    assert after("Does metformin lower weight in women with type 2 diabetes?",
                 "and the dose?") == "What is the dose of metformin?"
    assert after("Is tamoxifen effective for breast cancer prevention?",
                 "What about side effects?") == "What are the side effects of tamoxifen?"


def test_aspect_follow_up_without_a_drug_uses_the_first_topic():
    assert after("Is aromatase inhibitor arthralgia linked to estrogen deprivation?",
                 "how is it treated?") == "What is the treatment of aromatase inhibitor arthralgia?"


def test_medicine_aspects_after_a_condition_concern_its_treatment():
    assert after("How is gout treated?", "and the dose?") == (
        "What is the dose of the treatment for gout?")
    assert after("How is gout treated?", "what are the side effects?") == (
        "What are the side effects of the treatment for gout?")
    # Aspects of the condition itself stay with the condition.
    assert after("How is gout treated?", "what are the symptoms?") == (
        "What are the symptoms of gout?")


def test_what_about_a_medicine_after_a_condition_asks_whether_it_helps():
    assert after("How is gout treated?", "What about colchicine?") == (
        "Is colchicine effective for gout?")


def test_pronoun_is_replaced_by_the_earlier_focus():
    assert after("Is metformin effective for type 2 diabetes?", "Does it cause weight gain?") == (
        "Does metformin cause weight gain?")


def test_what_about_another_topic_swaps_the_focus():
    assert after("Does anastrozole cause joint pain?", "what about letrozole?") == (
        "Does letrozole cause joint pain?")


def test_standalone_questions_and_first_turns_are_unchanged():
    standalone = "What is the first-line treatment for hypertension in adults?"
    assert after("Does metformin lower weight?", standalone) == standalone
    assert resolve_followup("and the dose?", None) == "and the dose?"


def test_focus_prefers_a_drug_over_the_first_noun_chunk():
    assert focus_of("Is weight loss with semaglutide larger than with metformin?") == "semaglutide"
    assert focus_of("Is estrogen deprivation linked to arthralgia?") == "estrogen deprivation"


def test_thread_store_round_trips_turns_and_rejects_unknown_ids(tmp_path):
    store = ThreadStore(tmp_path / "threads.sqlite")
    thread_id = store.create()
    store.add_turn(thread_id, Turn("Is metformin safe?", "Is metformin safe?"))
    assert store.add_turn(thread_id, Turn("and the dose?", "What is the dose of metformin?")) == 1
    store.close()
    reopened = ThreadStore(tmp_path / "threads.sqlite")
    assert [t.resolved_question for t in reopened.turns(thread_id)] == [
        "Is metformin safe?", "What is the dose of metformin?"]
    with pytest.raises(NotFoundError):
        reopened.turns("doesnotexist")
    with pytest.raises(NotFoundError):
        reopened.turns("../../etc")
    with pytest.raises(NotFoundError):
        reopened.add_turn("nosuchthread1", Turn("q", "q"))
    reopened.close()


def test_thread_store_caps_the_number_of_turns(tmp_path, monkeypatch):
    monkeypatch.setattr("citemed.conversation.MAX_TURNS", 2)
    store = ThreadStore(tmp_path / "threads.sqlite")
    thread_id = store.create()
    store.add_turn(thread_id, Turn("a?", "a?"))
    store.add_turn(thread_id, Turn("b?", "b?"))
    with pytest.raises(InputError, match="already has 2 questions"):
        store.add_turn(thread_id, Turn("c?", "c?"))
    store.close()


def test_workers_opening_a_new_thread_store_together_all_succeed(tmp_path):
    # Switching a new file to WAL loses a race now and then: repeat it on fresh files.
    for round_no in range(30):
        assert _open_together(tmp_path / f"round{round_no}" / "threads.sqlite", workers=4) == []


def _open_together(path, workers: int) -> list[Exception]:
    import threading

    errors: list[Exception] = []
    barrier = threading.Barrier(workers)

    def open_store() -> None:
        barrier.wait()
        try:
            ThreadStore(path).close()
        except Exception as error:  # noqa: BLE001 - collected and returned
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors
