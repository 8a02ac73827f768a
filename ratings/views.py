"""The rater's pages (DESIGN §3): welcome and consent, rate, done, and the item's media.

Nothing here may differ by a sample's group: the page around a sample, its URLs, tokens
and headers are the same for every group, and nothing is cached across participants.
"""

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ratings import selectors, services
from ratings.models import Participant
from studies.models import Study

SESSION_PARTICIPANTS = "blindrate.participants"
SESSION_ENTRY = "blindrate.entry"
CONSENT_REQUIRED = "Please tick the box to say you agree, or close this page to leave."


def _session_participant_id(request, study: Study) -> int | None:
    return request.session.get(SESSION_PARTICIPANTS, {}).get(str(study.pk))


def _remember(request, study: Study, participant: Participant) -> None:
    known = dict(request.session.get(SESSION_PARTICIPANTS, {}))
    known[str(study.pk)] = participant.pk
    request.session[SESSION_PARTICIPANTS] = known


def _participant(request, study: Study) -> Participant | None:
    entry = request.session.get(SESSION_ENTRY, {}).get(str(study.pk), {})
    return services.participant_find(
        study=study,
        external_id=entry.get("external_id", ""),
        participant_id=_session_participant_id(request, study),
    )


def _closed_page(request, study: Study):
    status = 404 if study.status == Study.Status.DRAFT else 410
    return render(request, "ratings/closed.html", {"study": study}, status=status)


def _go(name: str, study: Study) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(name, args=[study.slug]), status=303)


def _capture_entry(request, study: Study) -> dict:
    """External ids from the crowd-work site's link, kept until consent."""
    query = request.GET
    external_id = (query.get("PROLIFIC_PID") or query.get("participant") or "").strip()
    entries = dict(request.session.get(SESSION_ENTRY, {}))
    entry = dict(entries.get(str(study.pk), {}))
    if external_id:
        entry = {
            "external_id": external_id[:200],
            "external_study_id": query.get("STUDY_ID", "").strip()[:200],
            "external_session_id": query.get("SESSION_ID", "").strip()[:200],
        }
        entries[str(study.pk)] = entry
        request.session[SESSION_ENTRY] = entries
    return entry


@never_cache
@require_http_methods(["GET", "POST"])
def welcome(request, slug: str):
    """Instructions and consent; a returning participant goes straight back to work."""
    study = get_object_or_404(selectors.studies_for_raters(), slug=slug)
    if study.status != Study.Status.OPEN:
        return _closed_page(request, study)
    entry = _capture_entry(request, study) if request.method == "GET" else (
        request.session.get(SESSION_ENTRY, {}).get(str(study.pk), {})
    )  # fmt: skip
    participant = _participant(request, study)
    if participant is not None:
        _remember(request, study, participant)
        if participant.status == Participant.Status.ACTIVE:
            return _go("ratings:rate", study)
        return _go("ratings:done", study)
    if not services.study_has_room(study=study):
        return render(request, "ratings/full.html", {"study": study}, status=200)
    error = None
    if request.method == "POST":
        if request.POST.get("consent") == "yes":
            if not request.session.session_key:
                request.session.save()
            participant = services.participant_consent(
                study=study,
                external_id=entry.get("external_id", ""),
                external_study_id=entry.get("external_study_id", ""),
                external_session_id=entry.get("external_session_id", ""),
                session_key=request.session.session_key or "",
            )
            _remember(request, study, participant)
            return _go("ratings:rate", study)
        error = CONSENT_REQUIRED
    context = {"study": study, "error": error, "items": services.items_for(study)}
    return render(request, "ratings/welcome.html", context, status=400 if error else 200)


def _rate_page(request, study, participant, assignment, *, errors=None, values=None, status=200):
    context = selectors.rater_item(assignment=assignment, study=study, participant=participant)
    context.update(errors=errors or {}, values=values or {})
    return render(request, "ratings/rate.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def rate(request, slug: str):
    study = get_object_or_404(selectors.studies_for_raters(), slug=slug)
    participant = _participant(request, study)
    if participant is None:
        if study.status != Study.Status.OPEN:
            return _closed_page(request, study)
        return _go("ratings:welcome", study)
    if request.method == "POST":
        try:
            services.rating_submit(
                participant=participant,
                study=study,
                item=request.POST.get("item", ""),
                values={c["key"]: request.POST.get(c["key"], "") for c in study.criteria},
                guess=request.POST.get("guess", ""),
            )
        except services.RatingRefused as refused:
            context = {"study": study, "message": str(refused)}
            return render(request, "ratings/refused.html", context, status=409)
        except services.RatingInvalid as invalid:
            assignment = participant.assignments.filter(token=request.POST.get("item")).first()
            return _rate_page(
                request, study, participant, assignment, errors=invalid.problems,
                values=request.POST, status=400,
            )  # fmt: skip
        return _go("ratings:rate", study)
    if participant.status != Participant.Status.ACTIVE:
        return _go("ratings:done", study)
    if study.status != Study.Status.OPEN:
        return _closed_page(request, study)
    assignment = services.assignment_next(participant=participant, study=study)
    if assignment is None:
        participant.refresh_from_db()
        if participant.status != Participant.Status.ACTIVE:
            return _go("ratings:done", study)
        return render(request, "ratings/full.html", {"study": study})
    return _rate_page(request, study, participant, assignment)


@never_cache
@require_GET
def done(request, slug: str):
    """The completion code, issued only once the last rating is stored."""
    study = get_object_or_404(selectors.studies_for_raters(), slug=slug)
    participant = _participant(request, study)
    if participant is None:
        return _go("ratings:welcome", study)
    if participant.status == Participant.Status.ACTIVE:
        return _go("ratings:rate", study)
    screened_out = participant.status == Participant.Status.SCREENED_OUT
    code = study.screenout_code if screened_out else study.completion_code
    redirect_url = study.redirect_url.replace("{code}", code) if study.redirect_url and code else ""
    context = {"study": study, "code": code, "screened_out": screened_out,
               "redirect_url": redirect_url}  # fmt: skip
    return render(request, "ratings/done.html", context)


@never_cache
@require_GET
def item_media(request, slug: str, item: str):
    """An item's image or audio, for the participant who holds the item and nobody else.
    No file name, no validators, nothing cached: the same headers for every group."""
    study = get_object_or_404(selectors.studies_for_raters(), slug=slug)
    participant = _participant(request, study)
    if participant is None:
        raise Http404
    assignment = participant.assignments.select_related("sample").filter(token=item).first()
    if assignment is None or not assignment.sample.media:
        raise Http404
    with assignment.sample.media.open("rb") as media:
        data = media.read()
    response = HttpResponse(data, content_type=assignment.sample.media_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
