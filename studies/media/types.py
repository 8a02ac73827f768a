"""What the media package returns and raises, and what it accepts."""

from __future__ import annotations

from dataclasses import dataclass

MAX_MEDIA_BYTES_DEFAULT = 20 * 1024 * 1024
ACCEPTED_FORMATS = "PNG, JPEG, GIF, WebP, MP3, WAV, Ogg Vorbis/Opus, FLAC, M4A"


class MediaError(ValueError):
    """A media file that cannot be accepted; str() is a one-line message for the researcher."""


@dataclass(frozen=True)
class CleanMedia:
    kind: str  # "image" or "audio"
    mime: str  # e.g. "image/png", "audio/mpeg"
    extension: str  # without dot, e.g. "png", "mp3"
    data: bytes  # the cleaned bytes to store


def short_reason(exc: BaseException) -> str:
    """A library's exception as one short line for a message."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


# Ogg streams of codecs other than Vorbis and Opus, by the start of their first packet.
OGG_CODECS: list[tuple[bytes, str]] = [
    (b"\x7fFLAC", "Ogg FLAC audio"),
    (b"Speex   ", "Ogg Speex audio"),
    (b"\x80theora", "Ogg Theora video"),
    (b"fishead\x00", "Ogg Skeleton stream"),
]


def unsupported(found: str) -> MediaError:
    return MediaError(
        f"content is not a supported image or audio file (looks like: {found}); "
        f"accepted: {ACCEPTED_FORMATS}"
    )
