"""Content-Security-Policy on every page: only the site's own files run, and the few inline
blocks carry the response's nonce. In Chromium, the rater pages' script runs under the
policy, and no page (rater, results, admin, API docs) reports a single violation."""

import re

import pytest
from django.test import Client

from analysis.services import analysis_create, analysis_execute
from tests.factories import closed_study
from tests.ratings.raters import open_study
from tests.ratings.test_browser import browser, needs_chromium  # noqa: F401 - a fixture

NONCE_IN_HEADER = re.compile(r"script-src 'self' 'nonce-([^']+)'")
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.django_db
def test_the_rating_page_has_a_strict_policy_and_its_inline_blocks_carry_the_nonce(researcher):
    open_study(researcher, slug="csp", per_group=1, samples_per_rater=3)
    client = Client()
    form = re.search(r'name="form" value="([^"]+)"', client.get("/s/csp/").content.decode())
    client.post("/s/csp/", {"consent": "yes", "form": form.group(1)})
    page = client.get("/s/csp/rate/")
    policy = policy_of(page)
    assert policy["default-src"] == "default-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    nonce = NONCE_IN_HEADER.search(page["Content-Security-Policy"]).group(1)
    html = page.content.decode()
    blocks = re.findall(r"<(script|style)([^>]*)>", html)
    assert {kind for kind, _ in blocks} == {"script", "style"}
    assert all(f'nonce="{nonce}"' in attributes for _, attributes in blocks), blocks
    assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler never runs"
    assert not re.search(r'\sstyle="', html), "a style attribute needs 'unsafe-inline'"
    again = client.get("/s/csp/rate/")
    assert NONCE_IN_HEADER.search(again["Content-Security-Policy"]).group(1) != nonce


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_no_page_reports_a_policy_violation_in_chromium(browser, live_server, researcher):  # noqa: F811
    open_study(researcher, slug="csp", per_group=2, samples_per_rater=3)
    closed = closed_study(researcher, slug="closed-csp", raters=8, ask_source_guess=True)
    run = analysis_execute(run_id=analysis_create(study=closed, user=researcher).pk)
    assert run.status == run.Status.SUCCEEDED, run.error

    context = browser.new_context()
    context.add_init_script(COLLECT_VIOLATIONS)
    console = []
    page = context.new_page()
    page.on("console", lambda message: console.append(message.text))
    seen = {}

    def visit(url: str, name: str) -> None:
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("networkidle")
        seen[name] = violations(page)

    # The rater's pages, and the rating page's own script: a digit key scores.
    visit("/s/csp/", "consent")
    page.check("#consent")
    with page.expect_navigation():
        page.click("button[type=submit]")
    seen["rate"] = violations(page)
    page.keyboard.press("7")
    assert page.locator("input[name=quality][value='7']").is_checked(), "the script ran"
    seen["rate after a key"] = violations(page)

    # The researcher's side: admin login, the study pages, results, the API reference.
    visit("/admin/login/", "admin login")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "pw-ada-123456")
    with page.expect_navigation():
        page.click("input[type=submit]")
    seen["admin index"] = violations(page)
    visit("/admin/studies/study/", "study list")
    visit(f"/admin/studies/study/{closed.pk}/change/", "study page")
    visit("/admin/ratings/participant/", "participants")
    visit("/analysis/closed-csp/", "results")
    assert page.locator("img").count() >= 1
    visit("/api/docs/", "API docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    seen["API docs, rendered"] = violations(page)

    assert {name: found for name, found in seen.items() if found} == {}
    assert not [text for text in console if "Content Security Policy" in text], console
