"""Blinding (DESIGN §3): nothing a rater can observe reveals a sample's group.

A whole study is run by test participants; every rater-visible response (HTML, headers,
media) is collected, and the test fails if any markup, attribute or header differs by
group, if anything of the researcher's side shows, or if a token is short or sequential.
"""

import io
import itertools
import re
from collections import defaultdict

import pytest
from PIL import Image

from ratings.models import Assignment
from studies import services
from tests.conftest import SEED_GROUPS
from tests.ratings.raters import ITEM, Rater, import_with_media

ARTICLE = re.compile(r'(<article class="sample"[^>]*>).*?(</article>)', re.S)
BRIEF = re.compile(r'(<section class="brief"[^>]*>).*?(</section>)', re.S)
NONCE = re.compile(r'nonce="[^"]+"')
NONCE_VALUE = re.compile(r"'nonce-[^']+'")  # the same nonce in the CSP header
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
PROGRESS = re.compile(r"\b\d+ of \d+\b|value=\"\d+\" max=\"\d+\"")
VARIABLE_HEADERS = {"date", "expires", "content-length", "set-cookie"}


def photo(colour, *, size, maker: str) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = maker
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG", exif=exif)
    return out.getvalue()


@pytest.fixture
def study(researcher):
    study = services.study_create(
        owner=researcher,
        slug="blind",
        title="Judge these",
        groups=SEED_GROUPS,
        samples_per_rater=12,
        ratings_per_sample=4,
        completion_code="OK-CODE",
    )
    files, lines = {}, ["id,group,brief,text,file,meta_author"]
    for number, group in enumerate(("human", "ai", "collaboration") * 3):
        lines.append(f"t{number},{group},b{number % 3},A piece of writing ({number}).,,Ann")
    for number, group in enumerate(("human", "ai", "collaboration") * 2):
        name = f"{group}-render-{number}.png"
        files[name] = photo((40 * number, 90, 200), size=(30 + number, 20), maker=f"{group} cam")
        lines.append(f"i{number},{group},b{number % 3},,{name},Bob")
    import_with_media(study, lines, files)
    for brief in study.briefs.all():
        brief.text = f"Write about the number {brief.key}."
        brief.save()
    return services.study_open(study=study)


def skeleton(html: str, item: str) -> str:
    """The page with what legitimately varies per item masked out."""
    html = ARTICLE.sub(r"\1CONTENT\2", html)
    html = BRIEF.sub(r"\1BRIEF\2", html)
    html = CSRF.sub('name="csrfmiddlewaretoken" value="CSRF"', html)
    html = NONCE.sub('nonce="NONCE"', html)  # the CSP nonce, new on every response
    html = html.replace(item, "ITEM")
    return PROGRESS.sub("PROGRESS", html)


def headers(response) -> tuple:
    return tuple(
        sorted(
            (k.lower(), NONCE_VALUE.sub("'nonce-NONCE'", v))
            for k, v in response.items()
            if k.lower() not in VARIABLE_HEADERS
        )
    )


class Observed:
    """What raters saw of a study's item pages: each page's skeleton and headers, filed by
    the kind of its sample and by `key(assignment)` (a sample's group, or a pair's groups
    in order), plus every text seen and every item token, for the assertions."""

    def __init__(self, key) -> None:
        self.key = key
        self.pages = defaultdict(lambda: defaultdict(set))  # kind -> key -> skeletons
        self.headers = defaultdict(lambda: defaultdict(set))  # (kind, how) -> key -> headers
        self.everything: list[str] = []
        self.items: list[str] = []

    def __call__(self, response, how: str) -> str | None:
        """Record an item page (a GET of rate/, or the answer to the previous POST); its
        item token, or None when the response is not an item page."""
        if response.status_code != 200:
            return None
        html = response.content.decode()
        self.everything.append(html)
        item = ITEM.search(html).group(1)
        assignment = Assignment.objects.select_related("sample__group", "sample_b__group").get(
            token=item
        )
        kind, key = assignment.sample.kind, self.key(assignment)
        self.pages[kind][key].add(skeleton(html, item))
        self.headers[(kind, how)][key].add(headers(response))
        return item


def test_no_rater_visible_response_differs_by_group(study):
    observe = Observed(lambda assignment: assignment.sample.group.key)
    pages, page_headers = observe.pages, observe.headers
    everything, items = observe.everything, observe.items
    media_headers = defaultdict(set)

    for number in range(6):
        rater = Rater(study.slug)
        everything.append(rater.enter(PROLIFIC_PID=f"secret-pid-{number}").content.decode())
        rater.consent()
        item = observe(rater.get("rate/"), "get")
        while item is not None:
            items.append(item)
            sample = Assignment.objects.select_related("sample__group").get(token=item).sample
            if sample.kind == "image":
                media = rater.get(f"media/{item}/")
                assert media.status_code == 200
                data = b"".join(media.streaming_content) if media.streaming else media.content
                with Image.open(io.BytesIO(data)) as image:
                    assert len(image.getexif()) == 0 and "exif" not in image.info
                assert b"cam" not in data and b"render" not in data
                media_headers[sample.group.key].add(headers(media))
                for name, value in media.items():
                    everything.append(f"{name}: {value}")
            # Every item after the first is seen both ways: as the answer to the previous
            # item's POST and on a GET of rate/ (the lease keeps it). With two images of
            # each group rated four times, and only one first item per rater, every group's
            # image pages are seen both ways, whatever order the raters draw.
            posted = observe(rater.submit(item, quality=(number % 10) + 1), "post")
            item = observe(rater.get("rate/"), "get")
            assert item == posted
        everything.append(rater.get("done/").content.decode())

    for kind, by_group in pages.items():
        assert set(by_group) == {"human", "ai", "collaboration"}, kind
        skeletons = set().union(*by_group.values())
        assert len(skeletons) == 1, f"{kind} pages differ by group"
    for (kind, how), by_group in page_headers.items():
        assert set(by_group) == {"human", "ai", "collaboration"}, (kind, how)
        assert len(set().union(*by_group.values())) == 1, f"{kind} headers differ ({how})"
    assert len(set().union(*media_headers.values())) == 1, "media headers differ by group"

    assert_no_secret_shows(study, everything, items)

    assert len(items) == len(set(items))
    for item in items:
        assert len(item) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", item)
    numbers = sorted(int.from_bytes(item.encode(), "big") for item in items)
    steps = {b - a for a, b in itertools.pairwise(numbers)}
    assert len(steps) > len(numbers) // 2, "item tokens look sequential"


def assert_no_secret_shows(study, everything: list[str], items: list[str]) -> None:
    """Nothing of the researcher's side in what raters saw: group labels and keys, external
    ids, metadata, file names, sample tokens and ids."""
    # Random tokens (CSRF, CSP nonces, items) may spell anything ("Bob" in a nonce): mask
    # them before looking for words.
    visible = CSRF.sub("CSRF", "\n".join(everything))
    visible = NONCE_VALUE.sub("'nonce-NONCE'", NONCE.sub('nonce="NONCE"', visible))
    for item in items:
        visible = visible.replace(item, "ITEM")
    for secret in (
        "Human only",
        "AI only",
        "Human-AI collaboration",
        "secret-pid",
        "Ann",
        "Bob",
        "render",
        "cam",
        ".png",
    ):
        assert secret not in visible, secret
    for word in ("human", "collaboration"):
        assert not re.search(rf"\b{word}\b", visible, re.I), word
    for sample in study.samples.all():
        assert sample.token not in visible and sample.external_id not in visible.split()


def test_media_are_served_only_to_the_participant_holding_the_item(study):
    alice, bob = Rater(study.slug), Rater(study.slug)
    for rater in (alice, bob):
        rater.enter()
        rater.consent()
    image_item = None
    while image_item is None:
        item, _ = alice.item()
        assert item is not None
        if Assignment.objects.get(token=item).sample.kind == "image":
            image_item = item
        else:
            alice.submit(item, quality=5)
    assert alice.get(f"media/{image_item}/").status_code == 200
    assert bob.get(f"media/{image_item}/").status_code == 404
    assert Rater(study.slug).get(f"media/{image_item}/").status_code == 404
    response = alice.get(f"media/{image_item}/")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Content-Disposition"] == "inline"
    assert "Last-Modified" not in response and "ETag" not in response
