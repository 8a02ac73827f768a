"""What the study admin's pages share: the studies a researcher may see, and a service's
refusal shown as a message on the form's page."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect

from studies import selectors, services
from studies.media_files import MEDIA_UNWRITABLE, MediaUnwritable


def visible_studies(request: HttpRequest):
    return selectors.study_list_visible(user=request.user)


def error_text(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(msgs)}" if field != "__all__" else " ".join(msgs)
            for field, msgs in error.message_dict.items()
        )
    return " ".join(error.messages)


class RefusalsShownMixin:
    """A service's refusal while saving (a frozen design, a bad value, a full media volume)
    comes back as a message on the form's page, not as an error page."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (services.StudyConflict, ValidationError, MediaUnwritable) as error:
            if isinstance(error, MediaUnwritable):
                text = MEDIA_UNWRITABLE.format(cause=error.cause)
            elif isinstance(error, ValidationError):
                text = error_text(error)
            else:
                text = str(error)
            self.message_user(request, text, messages.ERROR)
            return HttpResponseRedirect(request.path)


def media_limit() -> int:
    return settings.BLINDRATE_MEDIA_MAX_BYTES
