"""The review workflow as an explicit state machine: states, transitions, and who may do what.

Every rule lives in these tables; the service and the web layer only ask `check_transition` and
`check_edit`, so a rule cannot be enforced in one place and forgotten in another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from citemed.errors import PermissionDenied


class Role(StrEnum):
    EDITOR = "editor"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    RETRACTED = "retracted"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


# Readers see an article once it has been submitted; drafts stay with their author.
PUBLIC_STATES = frozenset(State) - {State.DRAFT}
# The review queue: what a reviewer or editor has to act on.
QUEUE_STATES = (State.SUBMITTED, State.UNDER_REVIEW, State.CHANGES_REQUESTED)
CAUTION = "Educational purpose only; pending human review"


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]
    author_only: bool = False  # only the article's author may do it
    not_author: bool = False  # the article's author may not do it (no self-review)


TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    Transition("submit", "Submit for review", frozenset({State.DRAFT, State.CHANGES_REQUESTED}),
               State.SUBMITTED, frozenset({Role.EDITOR}), author_only=True),
    Transition("start_review", "Start review", frozenset({State.SUBMITTED}), State.UNDER_REVIEW,
               frozenset({Role.REVIEWER}), not_author=True),
    Transition("request_changes", "Request changes", frozenset({State.UNDER_REVIEW}),
               State.CHANGES_REQUESTED, frozenset({Role.REVIEWER}), not_author=True),
    Transition("approve", "Approve", frozenset({State.UNDER_REVIEW}), State.APPROVED,
               frozenset({Role.REVIEWER}), not_author=True),
    Transition("rereview", "Re-open for review", frozenset({State.APPROVED}), State.UNDER_REVIEW,
               frozenset({Role.REVIEWER}), not_author=True),
    Transition("retract", "Retract",
               frozenset({State.SUBMITTED, State.UNDER_REVIEW, State.APPROVED}),
               State.RETRACTED, frozenset({Role.REVIEWER, Role.ADMIN})),
]}

# Who may change the content, in which states.
EDIT_RULES: dict[Role, frozenset[State]] = {
    Role.EDITOR: frozenset({State.DRAFT, State.CHANGES_REQUESTED}),
    Role.REVIEWER: frozenset({State.UNDER_REVIEW}),
}


def check_actor(name: str, role: Role | None, is_author: bool) -> Transition:
    """The role and authorship rules of a transition, whatever the article's state."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise PermissionDenied(f"unknown action {name!r}; known: {', '.join(TRANSITIONS)}")
    if role is None:
        raise PermissionDenied("log in to change an article")
    if role not in transition.roles:
        raise PermissionDenied(f"a {role} may not {transition.label.lower()} an article")
    if transition.author_only and not is_author:
        raise PermissionDenied(f"only the author may {transition.label.lower()} this article")
    if transition.not_author and is_author:
        raise PermissionDenied(f"an author may not {transition.label.lower()} their own article")
    return transition


def check_transition(name: str, state: State, role: Role | None, is_author: bool) -> Transition:
    """The transition if `role` may apply it now; PermissionDenied (403) with the reason if not."""
    transition = check_actor(name, role, is_author)
    if state not in transition.sources:
        raise PermissionDenied(
            f"cannot {transition.label.lower()} an article that is {state.label.lower()}")
    return transition


def check_editor(role: Role | None, is_author: bool) -> None:
    """Who may edit at all, whatever the article's state."""
    if role is None:
        raise PermissionDenied("log in to edit an article")
    if role not in EDIT_RULES:
        raise PermissionDenied(f"a {role} may not edit articles")
    if role is Role.EDITOR and not is_author:
        raise PermissionDenied("only the author may edit this article")
    if role is Role.REVIEWER and is_author:
        raise PermissionDenied("an author may not review-edit their own article")


def check_edit(state: State, role: Role | None, is_author: bool) -> None:
    check_editor(role, is_author)
    assert role is not None
    if state not in EDIT_RULES[role]:
        raise PermissionDenied(f"a {role} cannot edit an article that is {state.label.lower()}")


def available_transitions(state: State, role: Role | None, is_author: bool) -> list[Transition]:
    """Transitions to offer as buttons (the server re-checks on submit)."""
    out = []
    for name in TRANSITIONS:
        try:
            out.append(check_transition(name, state, role, is_author))
        except PermissionDenied:
            continue
    return out


def can_edit(state: State, role: Role | None, is_author: bool) -> bool:
    try:
        check_edit(state, role, is_author)
    except PermissionDenied:
        return False
    return True
