"""What a request gets when the database is down for a moment (a restart, a failover, a
full disk): a 503 with `Retry-After`, never a traceback.

Raters get a short page that says their answer was not saved and offers to send it again:
the form they posted (item, scores, guess, CSRF token) is kept in hidden fields, so one
press of the button repeats the same POST, which the rating service stores once. The API
answers its JSON error shape (api.errors turns its own views' database errors into the
same 503). Other pages get the plain page.

`ServiceUnavailableMiddleware` catches what views raise; `server_error` (Django's handler500)
catches what fails outside a view (a session saved on the way out) and shows the plain 500
page, without a traceback, for everything else.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop

from config.errors import error_body

RETRY_AFTER_SECONDS = 5
RATER_NAMESPACE = "ratings"
DATABASE_UNAVAILABLE = "The service is unavailable for a moment; nothing was stored. Try again."
# The pages' messages, in English; shown in the language active for the request (a
# rater's page: the study's rater language, see ratings.views); the API's stay English.
NOT_SAVED = gettext_noop("We could not save that. Please try again in a moment.")
NOT_LOADED = gettext_noop("This page could not be loaded. Please try again in a moment.")
SERVER_ERROR = gettext_noop(
    "Something went wrong on our side; nothing you sent was lost. Please try again."
)


# Django's wrappers of the driver's "cannot connect", "connection lost", "server shutting
# down", "disk full" (and a conflict still lost after the rating services' retries).
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` says the database could not be reached or could not answer."""
    return isinstance(error, UNAVAILABLE_ERRORS)


def unavailable_response(request):
    if request.path.startswith("/api/"):
        body = error_body(status_code=503, code="unavailable", message=DATABASE_UNAVAILABLE)
        response = JsonResponse(body, status=503)
    else:
        posted = request.method == "POST"
        # A rater's posted form, to send again as it was: every field, the CSRF token
        # included (the cookie it pairs with is unchanged). Only the rater's pages: no other
        # form's fields (an admin login's password) are ever written back into a page.
        match = getattr(request, "resolver_match", None)
        rater_form = posted and match is not None and match.namespace == RATER_NAMESPACE
        fields = list(request.POST.lists()) if rater_form else []
        kept = [(name, value) for name, values in fields for value in values]
        context = {"message": gettext(NOT_SAVED if posted else NOT_LOADED), "fields": kept}
        response = render(request, "unavailable.html", context, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ServiceUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if database_unavailable(exception):
            return unavailable_response(request)
        return None


def server_error(request):
    """Django's handler500: called while the exception is being handled."""
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    if request.path.startswith("/api/"):
        body = error_body(status_code=500, code="error", message=SERVER_ERROR)
        return JsonResponse(body, status=500)
    return render(request, "500.html", {"message": gettext(SERVER_ERROR)}, status=500)
