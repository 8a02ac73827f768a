"""Blinding of pairwise pages: nothing a rater observes differs by the groups of the pair
or by their order (which group's sample is A), as `test_blinding` checks for ratings.

A pairwise study with text and image pairs is run by test raters; every pair page (on GET
and as the answer to a POST), its headers and the media of both sides are collected, and
their skeletons must be the same for every ordered pair of groups."""

from collections import defaultdict

import pytest

from ratings.models import Assignment
from studies import services
from tests.conftest import SEED_GROUPS
from tests.ratings.raters import Rater, import_with_media
from tests.ratings.test_blinding import Observed, assert_no_secret_shows, headers, photo

GROUPS = ("human", "ai", "collaboration")


@pytest.fixture
def study(researcher):
    study = services.study_create(
        owner=researcher,
        slug="blind-pairs",
        title="Which is better?",
        groups=SEED_GROUPS,
        samples_per_rater=12,
        ratings_per_sample=50,
        completion_code="OK-CODE",
        protocol="pairwise",
        allow_ties=True,
        ask_strength=True,
    )
    files, lines = {}, ["id,group,brief,text,file,meta_author"]
    for brief in range(3):
        for number, group in enumerate(GROUPS):
            lines.append(f"t{brief}{group},{group},text-{brief},A piece ({brief}.{number}).,,Ann")
    for brief in range(2):
        for number, group in enumerate(GROUPS):
            name = f"{group}-render-{brief}.png"
            files[name] = photo(
                (60 * number, 90, 30 * brief), size=(30 + number, 20), maker=f"{group} cam"
            )
            lines.append(f"i{brief}{group},{group},image-{brief},,{name},Bob")
    import_with_media(study, lines, files)
    return services.study_open(study=study)


def test_no_pairwise_response_differs_by_the_groups_of_the_pair_or_their_order(study):
    observe = Observed(lambda pair: (pair.sample.group.key, pair.sample_b.group.key))
    pages, everything, items = observe.pages, observe.everything, observe.items
    media_headers = defaultdict(set)

    for number in range(8):
        rater = Rater(study.slug)
        everything.append(rater.enter(PROLIFIC_PID=f"secret-pid-{number}").content.decode())
        rater.consent()
        item = observe(rater.get("rate/"), "get")
        while item is not None:
            items.append(item)
            assignment = Assignment.objects.select_related("sample__group", "sample_b__group").get(
                token=item
            )
            for side, sample in (("a", assignment.sample), ("b", assignment.sample_b)):
                if sample.kind == "image":
                    media = rater.get(f"media/{item}/{side}/")
                    assert media.status_code == 200
                    data = b"".join(media.streaming_content) if media.streaming else media.content
                    assert b"cam" not in data and b"render" not in data
                    media_headers[sample.group.key].add(headers(media))
            choice = ("a", "b", "tie")[number % 3]
            posted = observe(rater.submit(item, choice=choice, strength="clearly"), "post")
            item = observe(rater.get("rate/"), "get")
            assert item == posted
        everything.append(rater.get("done/").content.decode())

    page_headers = defaultdict(lambda: defaultdict(set))  # how -> (group A, group B) -> headers
    for (_, how), by_order in observe.headers.items():
        for order, seen in by_order.items():
            page_headers[how][order] |= seen
    orders = set().union(*(by_order.keys() for by_order in pages.values()))
    assert orders == {(a, b) for a in GROUPS for b in GROUPS if a != b}
    for kind, by_order in pages.items():
        assert len(by_order) >= 2, kind
        assert len(set().union(*by_order.values())) == 1, f"{kind} pair pages differ by group"
    for how, by_order in page_headers.items():
        assert len(by_order) == 6, how
        assert len(set().union(*by_order.values())) == 1, f"pair headers differ ({how})"
    assert set(media_headers) == set(GROUPS)
    assert len(set().union(*media_headers.values())) == 1, "media headers differ by group"

    assert_no_secret_shows(study, everything, items)
    assert len(items) == len(set(items)) == 8 * 12
