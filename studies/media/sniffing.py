"""Which format a file is, from its bytes alone (never from a name)."""

from __future__ import annotations

from studies.media.audio import id3v2_strip_leading, is_mpeg_audio_header, mpeg_audio_start
from studies.media.types import unsupported

# ---------------------------------------------------------------------------------------
# Sniffing (by content only)


def sniff(data: bytes) -> tuple[str, bytes]:
    """Return ``(format key, bytes to clean)`` or raise MediaError.

    Leading ID3v2 tags are removed here, because they can prefix both MP3 and FLAC data.
    """
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", data
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg", data
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif", data
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp", data
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav", data
    if head[:4] == b"OggS":
        return "ogg", data
    if head[:4] == b"fLaC":
        return "flac", data
    if head[4:8] == b"ftyp" and not _is_heif_brand(data):
        return "mp4", data
    if head[:3] == b"ID3":
        inner = id3v2_strip_leading(data)
        if inner[:4] == b"fLaC":
            return "flac", inner
        start = mpeg_audio_start(inner)
        if start is not None:
            return "mp3", inner[start:]
        raise unsupported(f"ID3 tag followed by {_describe(inner)}")
    if is_mpeg_audio_header(data, 0):
        return "mp3", data
    raise unsupported(_describe(data))


_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


def _is_heif_brand(data: bytes) -> bool:
    major = data[8:12]
    return major in _HEIF_BRANDS or major in _AVIF_BRANDS


_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive or Office document"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Microsoft Office document"),
    (b"{\\rtf", "RTF document"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"8BPS", "Photoshop document"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000 image"),
    (b"\xff\x4f\xff\x51", "JPEG 2000 image"),
    (b"\xff\x0a", "JPEG XL image"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL image"),
    (b"\x00\x00\x01\x00", "ICO icon"),
    (b"qoif", "QOI image"),
    (b"\x1a\x45\xdf\xa3", "Matroska/WebM media"),
    (b"MThd", "MIDI file"),
    (b"#!AMR", "AMR audio"),
    (b".snd", "Sun/NeXT audio"),
    (b"wvpk", "WavPack audio"),
    (b"MAC ", "Monkey's Audio"),
    (b"RF64", "RF64/BW64 audio"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", "Windows executable"),
    (b"\xca\xfe\xba\xbe", "Java class or Mach-O binary"),
    (b"SQLite format 3\x00", "SQLite database"),
]


def _describe(data: bytes) -> str:
    """A short human description of unsupported content, for error messages."""
    if not data:
        return "nothing"
    head = data[:64]
    for magic, name in _SIGNATURES:
        if head.startswith(magic):
            if magic == b"MZ" and len(data) < 64:
                break
            return name
    if head[:2] == b"BM" and head[6:10] == b"\x00\x00\x00\x00":
        return "BMP image"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "AIFF audio"
    if head[:4] == b"RIFF":
        kind = head[8:12]
        if kind == b"AVI ":
            return "AVI video"
        return f"RIFF file of type {kind.decode('latin-1')!r}"
    if head[4:8] == b"ftyp":
        if head[8:12] in _AVIF_BRANDS:
            return "AVIF image"
        if head[8:12] in _HEIF_BRANDS:
            return "HEIC/HEIF image"
        return f"MP4-family file with brand {head[8:12].decode('latin-1')!r}"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "raw AAC (ADTS) audio"
    text = _as_text(data[:4096])
    if text is not None:
        lowered = text.lstrip().lower()
        if "<svg" in lowered[:1024]:
            return "SVG image"
        if lowered.startswith(("<!doctype html", "<html")):
            return "HTML document"
        if lowered.startswith("<?xml"):
            return "XML document"
        return "plain text"
    return "unrecognised bytes"


def _as_text(sample: bytes) -> str | None:
    """Decode ``sample`` as UTF-8 text if it plausibly is text, else None."""
    sample = sample.removeprefix(b"\xef\xbb\xbf")
    for cut in range(4):  # tolerate a multi-byte character split at the end of the sample
        try:
            text = sample[: len(sample) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if not text:
            return None
        printable = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t\f")
        return text if printable / len(text) > 0.95 else None
    return None
