"""Writing sample media to the media volume: a whole file or none of it, and a cause a
person can act on when the volume refuses.

Django's FileSystemStorage leaves a partly written file behind when a write fails (a full
disk fails in the middle of a file); `media_write` removes it, so an import that cannot
store its media leaves neither rows nor files.
"""

import errno
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

# What the media volume's errors mean for the person importing, by errno.
CAUSES = {
    errno.ENOSPC: "no space left on the media volume",
    errno.EDQUOT: "the media volume's disk quota is used up",
    errno.EROFS: "the media volume is read-only",
    errno.EACCES: "the media folder is not writable by the platform",
    errno.EPERM: "the media folder is not writable by the platform",
    errno.EIO: "the media volume reported an input/output error",
}
UNKNOWN_CAUSE = "the media volume refused the write ({error})"
# For a single file (a sample's media changed in the admin); imports say it per line.
MEDIA_UNWRITABLE = "The media file could not be stored: {cause}. Nothing was saved."

logger = logging.getLogger(__name__)


class MediaUnwritable(Exception):
    """A media file could not be written; nothing of it is left on the volume."""

    def __init__(self, cause: str) -> None:
        self.cause = cause
        super().__init__(cause)


def media_cause(error: OSError) -> str:
    return CAUSES.get(error.errno, UNKNOWN_CAUSE.format(error=error.strerror or error))


def media_write(name: str, data: bytes) -> str:
    """Store `data` under `name` (or the free name the storage picks) and return the name
    stored; on failure remove what was written and raise MediaUnwritable."""
    name = default_storage.get_available_name(name)
    try:
        return default_storage.save(name, ContentFile(data))
    except OSError as error:
        media_delete(name)
        raise MediaUnwritable(media_cause(error)) from error


def media_delete(name: str) -> None:
    """Remove a media file, if it is there; a volume that refuses even that is logged, as
    the caller is already reporting a failure of its own."""
    try:
        default_storage.delete(name)
    except OSError:
        logger.exception("media file %s could not be removed", name)
