"""What a rating POST costs does not depend on what comes next (DESIGN §3).

A script that timed the POSTs could otherwise tell the items apart: the next item of a
group the rule finds with more work, an attention check that takes another path, the
end. Every POST runs the same statements, which these tests count on both databases.
"""

from collections import defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratings.models import Assignment, Participant
from tests.ratings.raters import ITEM, Rater, open_study

# The statements of one rating POST: the study and the participant (the view), the
# participant's lock, the item, its ratings, its row; the participant's items, the items
# held from their address (the study's limit), the groups with room, the claim, the slot,
# and the new item's row (or the participant's finish).
QUERIES_PER_POST = 12


def statements(captured: CaptureQueriesContext) -> int:
    """The statements a POST made. The test's own transaction turns the services' (whose
    BEGIN and COMMIT are not logged) into logged savepoints: those are not counted."""
    return sum(1 for query in captured if not query["sql"].startswith(("SAVEPOINT", "RELEASE")))


def _kind_of_next(participant: Participant) -> str:
    """What the POST just served: the group of a regular sample, a check, or the end."""
    participant.refresh_from_db(fields=["status"])
    if participant.status != Participant.Status.ACTIVE:
        return "done"
    latest = participant.assignments.select_related("sample__group").order_by("position").last()
    return "check" if latest.sample.is_attention_check else latest.sample.group.key


def _posts_by_kind(study, raters: int) -> dict[str, set[int]]:
    """Raters through the whole study; for every POST, the queries it made, by what came
    next."""
    counts = defaultdict(set)
    for number in range(raters):
        rater = Rater(study.slug)
        rater.enter(PROLIFIC_PID=f"cost-{number}")
        rater.consent()
        participant = Participant.objects.get(external_id=f"cost-{number}")
        item, page = rater.item()
        while item is not None:
            check = Assignment.objects.get(token=item).sample.is_attention_check
            with CaptureQueriesContext(connection) as queries:
                page = rater.submit(item, quality=1 if check else 6)
            assert page.status_code in (200, 303)
            counts[_kind_of_next(participant)].add(statements(queries))
            match = ITEM.search(page.content.decode()) if page.status_code == 200 else None
            item = match.group(1) if match else None
    return counts


def test_every_rating_post_makes_the_same_queries_whatever_comes_next(researcher):
    study = open_study(
        researcher,
        slug="cost",
        per_group=6,
        checks=3,
        samples_per_rater=10,
        ratings_per_sample=5,
        attention_check_rate=0.2,
    )
    counts = _posts_by_kind(study, raters=4)
    assert set(counts) == {"human", "ai", "collaboration", "check", "done"}
    assert dict(counts) == {kind: {QUERIES_PER_POST} for kind in counts}


def test_a_screen_out_costs_what_any_other_post_costs(researcher):
    study = open_study(
        researcher,
        slug="screen",
        per_group=4,
        checks=2,
        samples_per_rater=6,
        attention_check_rate=0.34,
        attention_fail_limit=1,
    )
    rater = Rater(study.slug)
    rater.enter()
    rater.consent()
    item, _ = rater.item()
    queries = []
    while item is not None:
        with CaptureQueriesContext(connection) as captured:
            page = rater.submit(item, quality=9)  # fails every check (expected 1-2)
        queries.append(statements(captured))
        match = ITEM.search(page.content.decode()) if page.status_code == 200 else None
        item = match.group(1) if match else None
    assert Participant.objects.get().status == "screened_out"
    assert len(queries) < 6, "the participant should have been screened out early"
    assert set(queries) == {QUERIES_PER_POST}


@pytest.mark.parametrize("ask_source_guess", [False, True])
def test_the_queries_of_a_post_do_not_grow_with_the_study(researcher, ask_source_guess):
    """The same count with 3 samples per group or 60, and more criteria stored at once."""
    found = []
    for per_group in (3, 60):
        study = open_study(
            researcher,
            slug=f"size-{per_group}-{ask_source_guess}",
            per_group=per_group,
            samples_per_rater=3,
            ask_source_guess=ask_source_guess,
        )
        rater = Rater(study.slug)
        rater.enter()
        rater.consent()
        item, _ = rater.item()
        with CaptureQueriesContext(connection) as queries:
            rater.submit(item, quality=5, **({"guess": "ai"} if ask_source_guess else {}))
        found.append(statements(queries))
    assert found == [QUERIES_PER_POST, QUERIES_PER_POST]


@pytest.mark.parametrize("check_brief", ["brief-0", ""])
def test_every_pairwise_post_makes_the_same_queries_whatever_comes_next(researcher, check_brief):
    """The same for a pairwise study: the next pair of any two groups, in either order,
    an attention pair (its check with a regular sample of its brief, or of any brief when
    the check has none), or the end."""
    study = open_study(
        researcher,
        slug="pair-cost",
        check_brief=check_brief,
        per_group=4,
        checks=2,
        samples_per_rater=5,
        ratings_per_sample=20,
        attention_check_rate=0.2,
        protocol="pairwise",
    )
    counts = defaultdict(set)
    for number in range(4):
        rater = Rater(study.slug)
        rater.enter(PROLIFIC_PID=f"pair-cost-{number}")
        rater.consent()
        participant = Participant.objects.get(external_id=f"pair-cost-{number}")
        item, page = rater.item()
        while item is not None:
            with CaptureQueriesContext(connection) as queries:
                page = rater.submit(item, choice="a")
            assert page.status_code in (200, 303)
            participant.refresh_from_db(fields=["status"])
            latest = participant.assignments.select_related("sample__group", "sample_b__group")
            latest = latest.order_by("position").last()
            if participant.status != Participant.Status.ACTIVE:
                kind = "done"
            elif latest.holds_slot:
                kind = f"{latest.sample.group.key}-{latest.sample_b.group.key}"
            else:
                kind = "check"
            counts[kind].add(statements(queries))
            match = ITEM.search(page.content.decode()) if page.status_code == 200 else None
            item = match.group(1) if match else None
    assert {"check", "done"} < set(counts) and len(counts) >= 6
    assert len(set().union(*counts.values())) == 1, dict(counts)
