"""Sections other apps add to a study's admin page, so that studies imports none of them:
ratings adds the study's progress (ratings.admin). A section is a function
(request, study) -> HTML; sections show in the order they were registered."""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from studies.models import Study

Section = Callable[[HttpRequest, Study], SafeString]
_SECTIONS: list[Section] = []


def study_page_section(section: Section) -> Section:
    """Register `section` (a decorator); registering one twice shows it once."""
    if section not in _SECTIONS:
        _SECTIONS.append(section)
    return section


def study_page_sections(request: HttpRequest, study: Study) -> list[SafeString]:
    return [section(request, study) for section in _SECTIONS]
