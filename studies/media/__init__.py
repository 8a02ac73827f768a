"""Content sniffing and metadata stripping for study media.

Raters must never learn where a sample came from, so every uploaded image or audio file
goes through :func:`clean_media` before it is stored. The function decides the file type
from the bytes alone (it is never given a file name), refuses anything it does not
support, and returns new bytes with the metadata removed:

* Images (PNG, JPEG, GIF, WebP) are decoded with Pillow and the pixels are re-encoded into
  a brand-new image of the same format, so EXIF (including GPS and thumbnails), XMP, IPTC,
  ICC profiles, JPEG COM segments, PNG text chunks, GIF comment extensions and anything
  else that is not pixels is dropped. The EXIF orientation is applied to the pixels first
  and an embedded ICC profile is converted into plain sRGB pixels, so the picture looks the
  same without either. Animated GIF, WebP and APNG files keep all their frames, frame
  durations and loop count.
* Audio (MP3, WAV, Ogg Vorbis/Opus, FLAC, MP4/M4A) keeps its audio stream byte for byte
  and loses every tag container: ID3v1/v2, APEv2 and Lyrics3 tags, Vorbis comments (and the
  encoder's vendor string), FLAC pictures/cue sheets/application blocks, MP4 ``udta``/
  ``meta``/``uuid`` boxes and timestamps, and every RIFF chunk of a WAV file except
  ``fmt ``, ``fact`` and ``data``. Every result is re-opened with mutagen to prove that it
  still parses and carries no tags.

Not removed: encoder fingerprints that live inside the audio stream itself (for example a
LAME/Xing header frame at the start of an MP3, or the handler names inside an MP4), and
anything hidden in the pixel or sample values.

This module deliberately does not import Django so that it can be used and tested
without settings.
"""

from studies.media.audio import AUDIO_CLEANERS
from studies.media.images import IMAGE_FORMATS, image_clean
from studies.media.sniffing import sniff
from studies.media.types import (
    ACCEPTED_FORMATS,
    MAX_MEDIA_BYTES_DEFAULT,
    CleanMedia,
    MediaError,
)

__all__ = ["ACCEPTED_FORMATS", "MAX_MEDIA_BYTES_DEFAULT", "CleanMedia", "MediaError", "clean_media"]


def clean_media(data: bytes, *, max_bytes: int = MAX_MEDIA_BYTES_DEFAULT) -> CleanMedia:
    """Identify ``data`` by its content and return a metadata-free copy of it.

    Raises :class:`MediaError` (with a message meant for the researcher) when the file is
    empty, larger than ``max_bytes``, not a supported image or audio format, or corrupt.
    The result is deterministic: the same input always gives the same output bytes.
    """
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    if not isinstance(data, bytes):
        data = bytes(data)
    size = len(data)
    if size == 0:
        raise MediaError("file is empty")
    if size > max_bytes:
        raise MediaError(_too_large_message(size, max_bytes))

    fmt, payload = sniff(data)
    if fmt in IMAGE_FORMATS:
        return image_clean(payload, fmt)
    return AUDIO_CLEANERS[fmt](payload)


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _too_large_message(size: int, max_bytes: int) -> str:
    shown, limit = _human_size(size), _human_size(max_bytes)
    if shown == limit:  # e.g. one byte over: show exact numbers so the message makes sense
        shown, limit = f"{size:,} bytes", f"{max_bytes:,} bytes"
    return f"file is too large: {shown} is over the limit of {limit}"
