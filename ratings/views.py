"""The rater's pages (DESIGN §3): welcome and consent, rate, done, and the item's media.

Nothing here may differ by a sample's group: the page around a sample, its URLs, tokens
and headers are the same for every group, and nothing is cached across participants.
"""

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.views import csrf
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from config.client import client_address
from config.middleware import UnstorableRequest
from config.unavailable import UNAVAILABLE_ERRORS
from ratings import selectors, services
from ratings.models import Participant
from studies.models import Study

COOKIE = "blindrate_rater"
# In English; raters read them in the study's rater language.
CONSENT_REQUIRED = gettext_noop(
    "Please tick the box to say you agree, or close this page to leave."
)
BUSY = gettext_noop(
    "Several items of this study are open on your connection at the moment. Please come "
    "back in a few minutes and reload this page."
)
NOT_READ = gettext_noop("The request could not be read.")
NO_COOKIE = gettext_noop(
    "Your browser did not send back the cookie this page needs, so the form was not "
    "accepted. Please allow cookies for this site."
)


def _study(slug: str) -> Study:
    """The study of a rater page (or 404), whose rater language the rest of the request
    speaks: this page and any error page it ends in (config.middleware ends it)."""
    study = selectors.study_for_raters(slug)
    translation.activate(study.rater_language)
    return study


def _rater_page(path: str):
    """The URL match of the rater page at `path`, or, for an unknown address under a
    study's pages (/s/<slug>/nope/), of the nearest page above it; None elsewhere."""
    parts = path.strip("/").split("/")
    for end in range(len(parts), 0, -1):
        try:
            match = resolve("/" + "/".join(parts[:end]) + "/")
        except Resolver404:
            continue
        return match if match.namespace == "ratings" else None
    return None


def _speak_for_path(request) -> bool:
    """For a request refused before its view ran: whether it was for a rater page, whose
    study's rater language (when there is such a study and the database answers) the rest
    of the request speaks, as its view would have."""
    match = _rater_page(request.path_info)
    if match is None:
        return False
    try:
        _study(match.kwargs["slug"])
    except (Http404, *UNAVAILABLE_ERRORS):
        pass  # English
    return True


def bad_request(request, exception=None):
    """Django's handler400 (config.urls), and the page of a request with text that cannot
    be stored (config.middleware): on a rater page, in the study's rater language."""
    _speak_for_path(request)
    unstorable = isinstance(exception, UnstorableRequest)
    message = exception.message() if unstorable else gettext(NOT_READ)
    return render(request, "bad_request.html", {"message": message}, status=400)


def not_found(request, exception=None):
    """Django's handler404 (config.urls): the one "not found" page, in the study's rater
    language under an open study's address, in English for an address that names no open
    study (a draft's is the same as a misspelled one's)."""
    _speak_for_path(request)
    return render(request, "404.html", status=404)


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: a rater's form refused for want of its CSRF cookie (a browser
    that keeps no cookies), said in the study's rater language. Elsewhere (the admin's
    login) Django's own page."""
    if not _speak_for_path(request):
        return csrf.csrf_failure(request, reason)
    return render(request, "bad_request.html", {"message": gettext(NO_COOKIE)}, status=403)


def _participant(request, study: Study) -> Participant | None:
    """The participant this browser is, by the key in its cookie for this study."""
    return services.participant_find(study=study, session_key=request.COOKIES.get(COOKIE, ""))


def _remember(response, study: Study, participant: Participant):
    """The participant's key in a cookie that only this study's pages receive."""
    response.set_cookie(
        COOKIE,
        participant.session_key,
        max_age=settings.SESSION_COOKIE_AGE,
        path=reverse("ratings:welcome", args=[study.slug]),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _closed_page(request, study: Study):
    return render(request, "ratings/closed.html", {"study": study}, status=410)


def _notice(request, study: Study, message: str, *, status: int):
    return render(
        request, "ratings/notice.html", {"study": study, "message": message}, status=status
    )


def _go(name: str, study: Study) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(name, args=[study.slug]), status=303)


def _entry(request) -> dict:
    """External ids from the crowd-work site's link. The consent form has no action, so it
    posts back to the page's own address, query included: nothing is kept on the server
    before consent, and the ids never appear in the page."""
    query = request.GET
    return {
        "external_id": (query.get("PROLIFIC_PID") or query.get("participant") or "").strip()[:200],
        "external_study_id": query.get("STUDY_ID", "").strip()[:200],
        "external_session_id": query.get("SESSION_ID", "").strip()[:200],
    }


@never_cache
@require_http_methods(["GET", "POST"])
def welcome(request, slug: str):
    """Instructions and consent; a returning participant goes straight back to work. A
    known external id without the browser's cookie gets the same page as a new one, and
    its consent is refused: an id is not a secret (see ratings.services.participants)."""
    study = _study(slug)
    if study.status != Study.Status.OPEN:
        return _closed_page(request, study)
    entry = _entry(request)
    participant = services.participant_find(
        study=study, session_key=request.COOKIES.get(COOKIE, ""), **entry
    )
    if participant is not None:
        participant = services.participant_key_ensure(participant=participant)
        active = participant.status == Participant.Status.ACTIVE
        page = _go("ratings:rate" if active else "ratings:done", study)
        return _remember(page, study, participant)
    if not services.study_has_room(study=study):
        return render(request, "ratings/full.html", {"study": study}, status=200)
    error, status = None, 200
    if request.method == "POST":
        if request.POST.get("consent") != "yes":
            error, status = gettext(CONSENT_REQUIRED), 400
        else:
            try:
                participant = services.participant_consent(
                    study=study,
                    consent_form=services.consent_form_nonce(request.POST.get("form", "")),
                    client=services.client_hash(client_address(request)),
                    **entry,
                )
            except services.ConsentFormInvalid as refused:
                error, status = str(refused), 400
            except services.ExternalIdTaken as refused:
                return _notice(request, study, str(refused), status=409)
            except services.StartsLimited as refused:
                return _notice(request, study, str(refused), status=429)
            else:
                return _remember(_go("ratings:rate", study), study, participant)
    context = {
        "study": study,
        "error": error,
        "items": services.items_for(study),
        "form": services.consent_form_new(),
    }
    return render(request, "ratings/welcome.html", context, status=status)


def _rate_page(request, study, participant, assignment, *, errors=None, values=None, status=200):
    if assignment.sample_b_id:
        context = selectors.rater_pair(
            assignment=assignment, study=study, errors=errors, values=values
        )
        return render(request, "ratings/compare.html", context, status=status)
    context = selectors.rater_item(assignment=assignment, study=study, errors=errors, values=values)
    return render(request, "ratings/rate.html", context, status=status)


def _next_page(request, study, participant, assignment):
    """The item, or where to go when there is none (the services have brought the
    participant's status up to date)."""
    if assignment is not None:
        return _rate_page(request, study, participant, assignment)
    if participant.status != Participant.Status.ACTIVE:
        return _go("ratings:done", study)
    if study.status != Study.Status.OPEN:
        return _closed_page(request, study)
    if services.address_busy(participant, study):
        return _notice(request, study, gettext(BUSY), status=429)
    return render(request, "ratings/full.html", {"study": study})


def _scores(request, study: Study) -> dict[str, str]:
    """The posted score of each of the study's criteria (a pairwise study: the choice and
    its strength), as sent."""
    if study.protocol == Study.Protocol.PAIRWISE:
        return {key: request.POST.get(key, "") for key in ("choice", "strength")}
    return {c["key"]: request.POST.get(c["key"], "") for c in study.criteria}


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request, slug: str):
    """GET shows the item (the leased one, or the next). POST stores the scores and answers
    with the next item itself, or sends the participant to the done page after the last:
    one round trip per item. Repeating a POST (a reload) stores nothing and shows the
    current item."""
    study = _study(slug)
    participant = _participant(request, study)
    if participant is None:
        if study.status != Study.Status.OPEN:
            return _closed_page(request, study)
        return _go("ratings:welcome", study)
    if request.method == "POST":
        try:
            _, assignment = services.rating_submit_and_next(
                participant=participant,
                study=study,
                item=request.POST.get("item", ""),
                values=_scores(request, study),
                guess=request.POST.get("guess", ""),
            )
        except services.RatingRefused as refused:
            context = {"study": study, "message": str(refused)}
            return render(request, "ratings/refused.html", context, status=409)
        except services.RatingInvalid as invalid:
            assignment = participant.assignments.select_related(
                "sample__brief", "sample_b__brief"
            ).get(token=request.POST.get("item"))
            return _rate_page(
                request,
                study,
                participant,
                assignment,
                errors=invalid.problems,
                values=request.POST,
                status=400,
            )
        try:
            return _next_page(request, study, participant, assignment)
        except UNAVAILABLE_ERRORS:
            # The rating is stored (its transaction committed); only the next page could
            # not be drawn. The answer must not say "not saved": the rater goes on to the
            # rating page, whose GET says so if the database is still away.
            return _go("ratings:rate", study)
    if participant.status != Participant.Status.ACTIVE:
        return _go("ratings:done", study)
    if study.status != Study.Status.OPEN:
        return _closed_page(request, study)
    assignment = services.assignment_next(participant=participant, study=study)
    return _next_page(request, study, participant, assignment)


@never_cache
@require_GET
def done(request, slug: str):
    """The completion code, issued only once the last rating is stored."""
    study = _study(slug)
    participant = _participant(request, study)
    if participant is None:
        return _go("ratings:welcome", study)
    if participant.status == Participant.Status.ACTIVE:
        return _go("ratings:rate", study)
    # Each end its own code: the completion code only for the work the study asks for.
    screened_out = participant.status == Participant.Status.SCREENED_OUT
    stopped = participant.status == Participant.Status.STOPPED
    code = {
        Participant.Status.SCREENED_OUT: study.screenout_code,
        Participant.Status.STOPPED: study.partial_code,
        Participant.Status.COMPLETED: study.completion_code,
    }.get(participant.status, "")
    redirect_url = study.redirect_url.replace("{code}", code) if study.redirect_url and code else ""
    context = {
        "study": study,
        "code": code,
        "screened_out": screened_out,
        "stopped": stopped,
        "redirect_url": redirect_url,
    }
    return render(request, "ratings/done.html", context)


@never_cache
@require_GET
def item_media(request, slug: str, item: str, side: str = ""):
    """An item's image or audio (a pair's: its `a` or `b` side), for the participant who
    holds the item and nobody else. No file name, no validators, nothing cached: the same
    headers for every group."""
    study = _study(slug)  # its 404 page in the study's language
    participant = _participant(request, study)
    if participant is None:
        raise Http404
    assignment = (
        participant.assignments.select_related("sample", "sample_b").filter(token=item).first()
    )
    if (
        assignment is None
        or side not in ("", "a", "b")
        or bool(side) != bool(assignment.sample_b_id)
    ):
        raise Http404
    sample = assignment.sample_b if side == "b" else assignment.sample
    if not sample.media:
        raise Http404
    with sample.media.open("rb") as media:
        data = media.read()
    response = HttpResponse(data, content_type=sample.media_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
