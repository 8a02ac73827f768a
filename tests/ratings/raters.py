"""A rater driven through the real pages with Django's test client."""

import io
import itertools
import re
import zipfile
from urllib.parse import urlencode

from django.test import Client
from django.utils import timezone

from ratings import services as ratings_services
from ratings.models import Participant
from studies import services
from studies.import_media import MediaZip
from studies.importing import samples_import
from tests.conftest import SEED_GROUPS

ITEM = re.compile(r'name="item" value="([^"]+)"')
PROGRESS = re.compile(r"Item (\d+) of (\d+)")
CODE = re.compile(r'id="code">([^<]+)<')


FORM = re.compile(r'name="form" value="([^"]+)"')
_addresses = itertools.count(1)


def new_address() -> str:
    """An address of its own for each rater, as raters on their own connections have (the
    study's limits count by address; tests/ratings/test_integrity.py shares one)."""
    number = next(_addresses)
    return f"198.18.{number // 250 % 250}.{number % 250 + 1}"


class Rater:
    def __init__(self, slug: str, client: Client | None = None) -> None:
        self.slug = slug
        self.client = client or Client(REMOTE_ADDR=new_address())
        self.pages: list = []
        self.query: dict = {}

    def get(self, path: str, **query):
        response = self.client.get(f"/s/{self.slug}/{path}", query)
        self.pages.append(response)
        return response

    def enter(self, **query):
        self.query = query
        return self.get("", **query)

    def consent_form(self) -> str:
        """The one-use token of a fresh consent form (empty when the page has none)."""
        query = f"?{urlencode(self.query)}" if self.query else ""
        found = FORM.search(self.client.get(f"/s/{self.slug}/{query}").content.decode())
        return found.group(1) if found else ""

    def consent(self, form: str | None = None):
        # The consent form posts back to the query it was entered with.
        query = f"?{urlencode(self.query)}" if self.query else ""
        data = {"consent": "yes", "form": self.consent_form() if form is None else form}
        response = self.client.post(f"/s/{self.slug}/{query}", data)
        self.pages.append(response)
        return response

    def item(self) -> tuple[str | None, object]:
        response = self.get("rate/")
        if response.status_code != 200:
            return None, response
        match = ITEM.search(response.content.decode())
        return (match.group(1) if match else None), response

    def submit(self, item: str, **values):
        data = {"item": item, **{k: str(v) for k, v in values.items()}}
        response = self.client.post(f"/s/{self.slug}/rate/", data)
        self.pages.append(response)
        return response

    def rate_all(self, score=7, limit=200, **extra) -> int:
        for rated in range(limit):
            item, _ = self.item()
            if item is None:
                return rated
            assert self.submit(item, quality=score, **extra).status_code in (200, 303)
        raise AssertionError("the study never ended")

    def code(self) -> str | None:
        response = self.get("done/")
        match = CODE.search(response.content.decode()) if response.status_code == 200 else None
        return match.group(1) if match else None


def open_study(owner, *, slug="rated", per_group=4, checks=0, check_brief="brief-0", **settings):
    """An open study with the seed's three groups, `per_group` text samples each, and
    `checks` attention checks (expected 1-2) of `check_brief` (or none: "")."""
    settings.setdefault("completion_code", "DONE-1234")
    settings.setdefault("screenout_code", "SCREEN-99")
    study = services.study_create(
        owner=owner, slug=slug, title="Rate these", groups=SEED_GROUPS, **settings
    )
    lines = ["group,text,brief,attention,expected"]
    for number, group in enumerate(("human", "ai", "collaboration") * per_group):
        lines.append(f"{group},Piece number {number}.,brief-{number // 3},,")
    for index in range(checks):
        lines.append(f"human,Check {index}: please give this a 1.,{check_brief},yes,1-2")
    samples_import(study=study, file_name="samples.csv", data="\n".join(lines).encode())
    return services.study_open(study=study)


def import_with_media(study, lines: list[str], files: dict[str, bytes]) -> None:
    """Import the CSV `lines` into `study`, with `files` (name -> bytes) as its media ZIP."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    archive.seek(0)
    samples_import(
        study=study,
        file_name="samples.csv",
        data="\n".join(lines).encode(),
        media=MediaZip(archive, label="media.zip", max_bytes=10**6),
    )


def join(study) -> Participant:
    """A new participant who has consented to `study`."""
    return ratings_services.participant_consent(study=study)


def first_item(study):
    """Alice joins `study` and is given her first item (a pair, in a pairwise study) now:
    (alice, her assignment, that moment), for tests of what happens when its lease lapses."""
    now = timezone.now()
    alice = join(study)
    return alice, ratings_services.assignment_next(participant=alice, now=now), now
