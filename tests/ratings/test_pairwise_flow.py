"""A rater's way through a pairwise study, through the real pages: enter, consent, choose
between A and B, and the code at the end; invalid answers; double submits; the setting
frozen at open."""

import re

import pytest
from django.core.exceptions import ValidationError

from ratings.models import Assignment, Comparison, Participant
from studies import services
from studies.importing import samples_import
from tests.conftest import SEED_GROUPS
from tests.ratings.raters import ITEM, PROGRESS, Rater, open_study

PIECE = re.compile(
    r'<article class="sample" aria-labelledby="piece-(a|b)">\s*'
    r"<h2[^>]*>([^<]+)</h2>\s*<p>([^<]+)</p>"
)


@pytest.fixture
def study(researcher):
    return open_study(
        researcher,
        slug="pairs",
        per_group=4,
        samples_per_rater=6,
        ratings_per_sample=6,
        protocol="pairwise",
        allow_ties=True,
        ask_strength=True,
    )


def started(study, pid="pid-pair") -> Rater:
    rater = Rater(study.slug)
    assert rater.enter(PROLIFIC_PID=pid).status_code == 200
    assert rater.consent().status_code == 303
    return rater


def test_a_rater_compares_every_pair_and_gets_the_code_only_at_the_end(study):
    rater = started(study)
    item, page = rater.item()
    answers = [("a", "clearly"), ("b", "slightly"), ("tie", ""), ("a", "much"), ("b", "much"),
               ("tie", "")]  # fmt: skip
    for position, (choice, strength) in enumerate(answers, start=1):
        html = page.content.decode()
        assert PROGRESS.search(html).groups() == (str(position), "6")
        pieces = PIECE.findall(html)
        assert [(side, label) for side, label, _ in pieces] == [("a", "Piece A"), ("b", "Piece B")]
        assignment = Assignment.objects.select_related("sample", "sample_b").get(token=item)
        assert [text for *_, text in pieces] == [assignment.sample.text, assignment.sample_b.text]
        page = rater.submit(item, choice=choice, strength=strength)
        if position < 6:
            assert page.status_code == 200
            item = ITEM.search(page.content.decode()).group(1)
        else:
            assert page.status_code == 303 and page["Location"] == f"/s/{study.slug}/done/"
    assert rater.code() == "DONE-1234"
    participant = Participant.objects.get(external_id="pid-pair")
    assert participant.status == "completed"
    stored = list(
        Comparison.objects.filter(assignment__participant=participant)
        .order_by("assignment__position")
        .values_list("choice", "strength", "criterion")
    )
    assert stored == [(c, s, "quality") for c, s in answers]
    assert not any("DONE-1234" in p.content.decode() for p in rater.pages[:-1])


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({}, "choice", "Please choose A, B or about the same."),
        ({"choice": "c", "strength": "much"}, "choice", "Please choose one of the options."),
        ({"choice": "a"}, "strength", "Please say how much better it is."),
        ({"choice": "b", "strength": "huge"}, "strength", "Please choose one of the options."),
    ],
)
def test_an_invalid_answer_is_refused_with_a_clear_error_and_nothing_stored(
    study, values, field, message
):
    rater = started(study)
    item, _ = rater.item()
    page = rater.submit(item, **values)
    assert page.status_code == 400
    html = page.content.decode()
    assert f'id="error-{field}" role="alert">{message}<' in html
    assert ITEM.search(html).group(1) == item  # the same pair again
    assert not Comparison.objects.exists()
    assert rater.submit(item, choice="b", strength="slightly").status_code == 200
    assert Comparison.objects.get().choice == "b"


def test_without_ties_and_strength_a_tie_is_refused_and_a_strength_ignored(researcher):
    study = open_study(
        researcher, slug="pairs-plain", per_group=3, samples_per_rater=3, protocol="pairwise"
    )
    rater = started(study)
    item, page = rater.item()
    html = page.content.decode()
    assert 'value="tie"' not in html and 'name="strength"' not in html
    assert "Keyboard: press A or B, then Enter." in html
    refused = rater.submit(item, choice="tie")
    assert refused.status_code == 400
    assert "Please choose one of the options." in refused.content.decode()
    assert rater.submit(item, choice="a", strength="much").status_code == 200
    assert Comparison.objects.get().strength == ""


def test_a_double_submit_stores_once_and_a_foreign_item_is_refused(study):
    rater = started(study)
    item, _ = rater.item()
    first = rater.submit(item, choice="a", strength="clearly")
    again = rater.submit(item, choice="b", strength="much")
    assert first.status_code == again.status_code == 200
    assert list(Comparison.objects.values_list("choice", flat=True)) == ["a"]
    other = started(study, pid="pid-other")
    refused = other.submit(item, choice="b", strength="much")
    assert refused.status_code == 409
    assert Comparison.objects.count() == 1


def test_the_media_of_a_pair_by_side_for_its_participant_only(study, settings):
    rater = started(study)
    item, _ = rater.item()
    # Text samples have no media; the URL of a side exists only for a pair, a or b.
    assert rater.client.get(f"/s/{study.slug}/media/{item}/a/").status_code == 404
    assert rater.client.get(f"/s/{study.slug}/media/{item}/c/").status_code == 404
    assert rater.client.get(f"/s/{study.slug}/media/{item}/").status_code == 404


def test_the_protocol_is_frozen_when_the_study_opens(researcher):
    study = open_study(researcher, slug="frozen-pairs", per_group=2, protocol="pairwise")
    assert study.frozen_design["settings"]["protocol"] == {
        "name": "pairwise",
        "allow_ties": False,
        "ask_strength": False,
        "allow_same_group_pairs": False,
    }
    for field, value in [
        ("protocol", "rating"),
        ("allow_ties", True),
        ("ask_strength", True),
        ("allow_same_group_pairs", True),
    ]:
        with pytest.raises(services.DesignFrozen, match=field):
            services.study_update(study=study, **{field: value})
    rating = open_study(researcher, slug="frozen-rating", per_group=2)
    assert "protocol" not in rating.frozen_design["settings"]  # older documents keep their hash


def test_a_pairwise_study_needs_two_groups_to_open(researcher):
    study = services.study_create(
        owner=researcher,
        slug="one-group",
        title="One",
        groups=[{"key": "human"}],
        protocol="pairwise",
    )
    samples_import(study=study, file_name="s.csv", data=b"group,text\nhuman,One.\nhuman,Two.\n")
    with pytest.raises(ValidationError, match="two groups"):
        services.study_open(study=study)
    services.study_update(study=study, allow_same_group_pairs=True)
    assert services.study_open(study=study).status == "open"


def test_an_attention_pair_without_a_brief_shows_its_partners_brief_on_either_side(researcher):
    study = services.study_create(
        owner=researcher,
        slug="pair-check-brief",
        title="Pairs",
        groups=SEED_GROUPS,
        protocol="pairwise",
        samples_per_rater=4,
        attention_check_rate=0.25,
        ratings_per_sample=50,
    )
    lines = ["group,text,brief,attention,expected"]
    for n in range(3):
        lines += [f"{group},Piece {n}.,brief-{n},," for group in ("human", "ai", "collaboration")]
    lines.append("human,Broken: choose the other one.,,yes,1-1")
    samples_import(study=study, file_name="s.csv", data="\n".join(lines).encode())
    study.briefs.update(text="Write about a number.")
    study = services.study_open(study=study)
    sides = set()
    for number in range(12):  # the side of one check each: both sides, but for 2 in 4096
        rater = started(study, pid=f"check-brief-{number}")
        item, page = rater.item()
        while item is not None:
            assert '<section class="brief"' in page.content.decode()
            assignment = Assignment.objects.select_related("sample", "sample_b").get(token=item)
            if assignment.sample.is_attention_check or assignment.sample_b.is_attention_check:
                sides.add(assignment.sample.is_attention_check)
            page = rater.submit(item, choice="a")
            found = ITEM.search(page.content.decode()) if page.status_code == 200 else None
            item = found.group(1) if found else None
    assert sides == {True, False}
