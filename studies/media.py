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

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import mutagen
from mutagen.apev2 import APEv2
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from PIL import Image, ImageCms, ImageOps, ImageSequence, JpegImagePlugin

MAX_MEDIA_BYTES_DEFAULT = 20 * 1024 * 1024

#: Largest single image (or animation frame) that is decoded, in pixels. Pillow's own
#: ``Image.MAX_IMAGE_PIXELS`` is honoured too when it is set lower.
MAX_IMAGE_PIXELS = 50_000_000
#: Largest total over all frames of an animation, in pixels (bounds memory and CPU).
MAX_ANIMATION_PIXELS = 100_000_000
#: Largest number of frames in an animation.
MAX_ANIMATION_FRAMES = 1_000
JPEG_QUALITY = 95

ACCEPTED_FORMATS = "PNG, JPEG, GIF, WebP, MP3, WAV, Ogg Vorbis/Opus, FLAC, M4A"


class MediaError(ValueError):
    """A media file that cannot be accepted; str() is a one-line message for the researcher."""


@dataclass(frozen=True)
class CleanMedia:
    kind: str  # "image" or "audio"
    mime: str  # e.g. "image/png", "audio/mpeg"
    extension: str  # without dot, e.g. "png", "mp3"
    data: bytes  # the cleaned bytes to store


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

    fmt, payload = _sniff(data)
    if fmt in _IMAGE_FORMATS:
        return _clean_image(payload, fmt)
    return _AUDIO_CLEANERS[fmt](payload)


# ---------------------------------------------------------------------------------------
# Size messages


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


# ---------------------------------------------------------------------------------------
# Sniffing (by content only)


def _sniff(data: bytes) -> tuple[str, bytes]:
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
        inner = _strip_leading_id3v2(data)
        if inner[:4] == b"fLaC":
            return "flac", inner
        start = _find_mpeg_audio_start(inner)
        if start is not None:
            return "mp3", inner[start:]
        raise _unsupported(f"ID3 tag followed by {_describe(inner)}")
    if _is_mpeg_audio_header(data, 0):
        return "mp3", data
    raise _unsupported(_describe(data))


def _unsupported(found: str) -> MediaError:
    return MediaError(
        f"content is not a supported image or audio file (looks like: {found}); "
        f"accepted: {ACCEPTED_FORMATS}"
    )


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

_OGG_CODECS: list[tuple[bytes, str]] = [
    (b"\x7fFLAC", "Ogg FLAC audio"),
    (b"Speex   ", "Ogg Speex audio"),
    (b"\x80theora", "Ogg Theora video"),
    (b"fishead\x00", "Ogg Skeleton stream"),
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


# ---------------------------------------------------------------------------------------
# Images

_IMAGE_FORMATS: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    # key: (Pillow formats accepted when opening, Pillow format to save, mime, extension)
    "png": (("PNG",), "PNG", "image/png", "png"),
    "jpeg": (("JPEG", "MPO"), "JPEG", "image/jpeg", "jpg"),
    "gif": (("GIF",), "GIF", "image/gif", "gif"),
    "webp": (("WEBP",), "WEBP", "image/webp", "webp"),
}

_PNG_MODES = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}
_GIF_MODES = {"1", "L", "P"}
_JPEG_MODES = {"L", "RGB"}
_WEBP_MODES = {"RGB", "RGBA"}

# Keys in Image.info that must never survive into the output.
_IMAGE_METADATA_KEYS = {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "iptc"}


def _clean_image(data: bytes, fmt: str) -> CleanMedia:
    """Decode the image and re-encode its pixels into a new file of the same format.

    GIF, WebP and APNG animations keep every frame, their durations and the loop count;
    frames are stored fully composited (which can make the file larger than the source).
    """
    open_formats, save_format, mime, extension = _IMAGE_FORMATS[fmt]
    try:
        with Image.open(io.BytesIO(data), formats=open_formats) as probe:
            _check_image_size(probe)
            probe.verify()
        with Image.open(io.BytesIO(data), formats=open_formats) as im:
            _check_image_size(im)
            if save_format != "JPEG" and getattr(im, "is_animated", False):
                out = _reencode_animation(im, save_format, lossless=_webp_is_lossless(data))
            else:
                out = _reencode_still(im, save_format, lossless=_webp_is_lossless(data))
    except MediaError:
        raise
    except Image.DecompressionBombError as exc:
        raise MediaError(f"image is too large to decode safely: {exc}") from exc
    except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, ...) on bad data
        raise MediaError(f"image data is corrupt or truncated: {_short(exc)}") from exc
    _check_image_output(out, save_format)
    return CleanMedia(kind="image", mime=mime, extension=extension, data=out)


def _pixel_limit() -> int:
    pillow_limit = Image.MAX_IMAGE_PIXELS
    if pillow_limit:
        return min(MAX_IMAGE_PIXELS, int(pillow_limit))
    return MAX_IMAGE_PIXELS


def _check_image_size(im: Image.Image) -> None:
    width, height = im.size
    if width <= 0 or height <= 0:
        raise MediaError(f"image data is corrupt or truncated: size is {width}x{height}")
    limit = _pixel_limit()
    if width * height > limit:
        raise MediaError(
            f"image is too large: {width}x{height} is {width * height / 1e6:.1f} megapixels, "
            f"over the limit of {limit / 1e6:.0f} megapixels"
        )
    frames = getattr(im, "n_frames", 1) if getattr(im, "is_animated", False) else 1
    if frames > MAX_ANIMATION_FRAMES:
        raise MediaError(
            f"animation has {frames} frames, over the limit of {MAX_ANIMATION_FRAMES} frames"
        )
    if frames * width * height > MAX_ANIMATION_PIXELS:
        raise MediaError(
            f"animation is too large: {frames} frames of {width}x{height} is "
            f"{frames * width * height / 1e6:.0f} megapixels in total, over the limit of "
            f"{MAX_ANIMATION_PIXELS / 1e6:.0f} megapixels"
        )


def _webp_is_lossless(data: bytes) -> bool:
    """True for a WebP whose (first) image bitstream is lossless VP8L rather than lossy VP8."""

    def walk(pos: int, end: int) -> bool:
        while pos + 8 <= end:
            chunk, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
            if chunk == b"VP8L":
                return True
            if chunk == b"VP8 ":
                return False
            if chunk == b"ANMF":  # animation frame: 16 bytes of frame header, then chunks
                return walk(pos + 8 + 16, min(pos + 8 + size, end))
            pos += 8 + size + (size & 1)
        return False

    return data[8:12] == b"WEBP" and walk(12, len(data))


def _exif_transpose(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation to the pixels; a broken EXIF block means "as stored"."""
    try:
        return ImageOps.exif_transpose(im)
    except Exception:  # malformed EXIF must not block an otherwise good image
        im.load()
        return im.copy()


def _to_srgb(im: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Bake an embedded ICC profile into sRGB pixels, so it can be dropped without a colour
    shift. Falls back to the unconverted pixels if the profile is unusable."""
    if not icc_profile or im.mode not in ("RGB", "RGBA", "CMYK"):
        return im
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        out_mode = "RGBA" if im.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(im, source, srgb, outputMode=out_mode)
    except Exception:  # a broken or mismatched profile: keep the pixels as they are
        return im
    return converted if converted is not None else im


def _fresh_image(im: Image.Image) -> Image.Image:
    """A new image holding only ``im``'s pixels (and palette): no info, no EXIF, nothing."""
    fresh = Image.frombytes(im.mode, im.size, im.tobytes())
    if im.mode in ("P", "PA") and im.palette is not None:
        palette_mode = im.palette.mode
        fresh.putpalette(im.getpalette(palette_mode), palette_mode)
    return fresh


def _transparency(im: Image.Image) -> int | bytes | tuple[int, ...] | None:
    value = im.info.get("transparency")
    if isinstance(value, int | bytes):
        return value
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return value
    return None


def _reencode_still(im: Image.Image, save_format: str, *, lossless: bool) -> bytes:
    icc_profile = im.info.get("icc_profile")
    sampling = JpegImagePlugin.get_sampling(im) if save_format == "JPEG" else -1
    im.load()
    pixels = _to_srgb(_exif_transpose(im), icc_profile)
    params: dict[str, object] = {}
    if save_format == "JPEG":
        if pixels.mode not in _JPEG_MODES:
            pixels = pixels.convert("RGB")
        params["quality"] = JPEG_QUALITY
        if sampling in (0, 1, 2):
            params["subsampling"] = sampling
    elif save_format == "PNG":
        if pixels.mode not in _PNG_MODES:
            pixels = pixels.convert("RGBA")
    elif save_format == "GIF":
        if pixels.mode not in _GIF_MODES and pixels.mode not in ("RGB", "RGBA"):
            pixels = pixels.convert("RGBA")
    elif save_format == "WEBP":
        if pixels.mode not in _WEBP_MODES:
            has_alpha = "A" in pixels.mode or "transparency" in pixels.info
            pixels = pixels.convert("RGBA" if has_alpha else "RGB")
        params.update(_webp_params(lossless))
    if save_format in ("PNG", "GIF"):
        transparency = _transparency(pixels)
        if transparency is not None:
            params["transparency"] = transparency
    out = io.BytesIO()
    _fresh_image(pixels).save(out, format=save_format, **params)
    return out.getvalue()


def _webp_params(lossless: bool) -> dict[str, object]:
    return {"lossless": True} if lossless else {"quality": JPEG_QUALITY}


def _reencode_animation(im: Image.Image, save_format: str, *, lossless: bool) -> bytes:
    icc_profile = im.info.get("icc_profile")
    loop = im.info.get("loop")
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(im):
        duration = frame.info.get("duration", 0)
        durations.append(round(duration) if isinstance(duration, int | float) else 0)
        pixels = _exif_transpose(frame).convert("RGBA")
        frames.append(_fresh_image(_to_srgb(pixels, icc_profile)))
    params: dict[str, object] = {
        "save_all": True,
        "append_images": frames[1:],
        "duration": durations,
    }
    if isinstance(loop, int):
        params["loop"] = loop
    if save_format == "WEBP":
        params.update(_webp_params(lossless))
    if save_format == "GIF" and any(f.getextrema()[3][0] < 255 for f in frames):
        params["disposal"] = 2  # frames are full pictures; clear before drawing the next
    out = io.BytesIO()
    frames[0].save(out, format=save_format, **params)
    return out.getvalue()


def _check_image_output(data: bytes, save_format: str) -> None:
    """Re-open the result: it must be the promised format and carry no metadata."""
    with Image.open(io.BytesIO(data)) as check:
        if check.format != save_format:
            raise MediaError(f"internal error: re-encoded image is {check.format}")
        leftovers = _IMAGE_METADATA_KEYS.intersection(check.info)
        if leftovers or len(check.getexif()) or getattr(check, "text", None):
            raise MediaError("internal error: re-encoded image still carries metadata")


# ---------------------------------------------------------------------------------------
# Shared audio helpers


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _corrupt_audio(detail: str) -> MediaError:
    return MediaError(f"audio data is corrupt or truncated: {detail}")


def _audio(mime: str, extension: str, data: bytes) -> CleanMedia:
    return CleanMedia(kind="audio", mime=mime, extension=extension, data=data)


def _mutagen_open(cls: Callable[[io.BytesIO], mutagen.FileType], data: bytes, what: str):
    try:
        return cls(io.BytesIO(data))
    except Exception as exc:  # mutagen raises its own errors but also struct/value errors
        raise _corrupt_audio(f"{what}: {_short(exc)}") from exc


def _synchsafe(raw: bytes) -> int:
    return (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]


def _id3v2_length(data: bytes, pos: int) -> int | None:
    """Length of the ID3v2 tag (header, body, footer) starting at ``pos``, or None."""
    header = data[pos : pos + 10]
    if len(header) < 10 or header[:3] != b"ID3" or header[3] == 0xFF or header[4] == 0xFF:
        return None
    if any(b & 0x80 for b in header[6:10]):
        return None
    has_footer = header[3] >= 4 and header[5] & 0x10
    return 10 + _synchsafe(header[6:10]) + (10 if has_footer else 0)


def _strip_leading_id3v2(data: bytes) -> bytes:
    pos = 0
    while (length := _id3v2_length(data, pos)) is not None:
        if pos + length > len(data):
            raise _corrupt_audio("the ID3 tag runs past the end of the file")
        pos += length
    # Some writers leave extra zero padding after the tag's declared size.
    while pos < len(data) and data[pos] == 0:
        pos += 1
    return data[pos:]


def _strip_trailing_tags(data: bytes) -> bytes:
    """Remove ID3v1 (and ID3v1 "TAG+"), APEv2, Lyrics3 and appended ID3v2 tags at the end."""
    while True:
        size = len(data)
        if size >= 128 and data[-128:-125] == b"TAG":
            data = data[:-128]
            if len(data) >= 227 and data[-227:-223] == b"TAG+":
                data = data[:-227]
            continue
        if size >= 32 and data[-32:-24] == b"APETAGEX":
            tag_size = int.from_bytes(data[-20:-16], "little")
            flags = int.from_bytes(data[-12:-8], "little")
            total = tag_size + (32 if flags & 0x80000000 else 0)
            if tag_size < 32 or total > size:
                raise _corrupt_audio("malformed APEv2 tag at the end of the file")
            data = data[:-total]
            continue
        if size >= 15 and data[-9:] == b"LYRICS200" and data[-15:-9].isdigit():
            total = int(data[-15:-9]) + 15
            if total > size or data[-total : -total + 11] != b"LYRICSBEGIN":
                raise _corrupt_audio("malformed Lyrics3 tag at the end of the file")
            data = data[:-total]
            continue
        if size >= 9 and data[-9:] == b"LYRICSEND":
            begin = data.rfind(b"LYRICSBEGIN", max(0, size - 5100 - 9))
            if begin < 0:
                raise _corrupt_audio("malformed Lyrics3 tag at the end of the file")
            data = data[:begin]
            continue
        if size >= 20 and data[-10:-7] == b"3DI" and not any(b & 0x80 for b in data[-4:]):
            total = _synchsafe(data[-4:]) + 20
            if total > size or data[-total : -total + 3] != b"ID3":
                raise _corrupt_audio("malformed ID3v2 tag at the end of the file")
            data = data[:-total]
            continue
        return data


# ---------------------------------------------------------------------------------------
# MP3

_MPEG_BITRATES = {  # kbit/s by (MPEG-1?, layer), index 1..14
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_MPEG_SEARCH_WINDOW = 64 * 1024


def _mpeg_frame_length(data: bytes, pos: int) -> int | None:
    """Length of the MPEG audio Layer III frame whose header is at ``pos``, or None."""
    if pos + 4 > len(data):
        return None
    b1, b2, b3 = data[pos + 1], data[pos + 2], data[pos + 3]
    if data[pos] != 0xFF or b1 & 0xE0 != 0xE0:
        return None
    version = (b1 >> 3) & 0b11  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
    layer = 4 - ((b1 >> 1) & 0b11)  # 0b01 is Layer III; 0b00 (layer 4) is reserved/ADTS
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 0b11
    if version == 1 or layer != 3 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    if b3 & 0b11 == 0b10:  # reserved emphasis
        return None
    mpeg1 = version == 3
    bitrate = _MPEG_BITRATES[(mpeg1, layer)][bitrate_index - 1] * 1000
    sample_rate = _MPEG_SAMPLE_RATES[version][rate_index]
    padding = (b2 >> 1) & 1
    return (144 if mpeg1 else 72) * bitrate // sample_rate + padding


def _is_mpeg_audio_header(data: bytes, pos: int) -> bool:
    """A valid Layer III header at ``pos`` followed by another one (or the end of data)."""
    length = _mpeg_frame_length(data, pos)
    if length is None:
        return False
    nxt = pos + length
    return nxt >= len(data) or _mpeg_frame_length(data, nxt) is not None


def _find_mpeg_audio_start(data: bytes) -> int | None:
    pos = data.find(b"\xff", 0, _MPEG_SEARCH_WINDOW)
    while 0 <= pos < _MPEG_SEARCH_WINDOW:
        if _is_mpeg_audio_header(data, pos):
            return pos
        pos = data.find(b"\xff", pos + 1, _MPEG_SEARCH_WINDOW)
    return None


def _clean_mp3(data: bytes) -> CleanMedia:
    """``data`` has no leading ID3v2 tag any more; drop junk before the first frame and the
    tags at the end, and keep the MPEG frames untouched."""
    start = _find_mpeg_audio_start(data)
    if start is None:
        raise _corrupt_audio("no MPEG audio frames found")
    cleaned = _strip_trailing_tags(data[start:])
    check = _mutagen_open(MP3, cleaned, "MP3")
    if check.tags is not None:
        raise _corrupt_audio("MP3 still carries a tag after cleaning")
    try:
        APEv2(io.BytesIO(cleaned))
    except Exception:  # no APEv2 tag, as intended
        pass
    else:
        raise _corrupt_audio("MP3 still carries an APEv2 tag after cleaning")
    return _audio("audio/mpeg", "mp3", cleaned)


# ---------------------------------------------------------------------------------------
# WAV

_WAV_KEEP = (b"fmt ", b"fact", b"data")


def _clean_wav(data: bytes) -> CleanMedia:
    """Rebuild the RIFF/WAVE file from its ``fmt ``, ``fact`` and ``data`` chunks only."""
    if len(data) < 12:
        raise _corrupt_audio("WAV header is truncated")
    end = min(8 + int.from_bytes(data[4:8], "little"), len(data))
    chunks: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= end:
        chunk_id = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        if not all(0x20 <= b <= 0x7E for b in chunk_id):
            raise _corrupt_audio(f"malformed WAV chunk header at byte {pos}")
        body_start, body_end = pos + 8, pos + 8 + size
        name = chunk_id.decode("ascii")
        if body_end > end:
            raise _corrupt_audio(f"WAV chunk {name!r} runs past the end of the file")
        if chunk_id in _WAV_KEEP:
            if chunk_id in chunks:
                raise _corrupt_audio(f"WAV file has more than one {name!r} chunk")
            chunks[chunk_id] = data[body_start:body_end]
        pos = body_end + (size & 1)
    if b"fmt " not in chunks or len(chunks[b"fmt "]) < 16:
        raise _corrupt_audio("WAV file has no valid 'fmt ' chunk")
    if not chunks.get(b"data"):
        raise _corrupt_audio("WAV file has no audio data")
    body = b"WAVE"
    for chunk_id in _WAV_KEEP:
        if chunk_id in chunks:
            payload = chunks[chunk_id]
            body += chunk_id + struct.pack("<I", len(payload)) + payload
            if len(payload) & 1:
                body += b"\x00"
    cleaned = b"RIFF" + struct.pack("<I", len(body)) + body
    check = _mutagen_open(WAVE, cleaned, "WAV")
    if check.tags is not None:
        raise _corrupt_audio("WAV still carries a tag after cleaning")
    return _audio("audio/wav", "wav", cleaned)


# ---------------------------------------------------------------------------------------
# FLAC

_FLAC_KEEP_BLOCKS = (0, 3)  # STREAMINFO, SEEKTABLE; drops comments, pictures, cue sheets, ...


def _no_padding(_info: object) -> int:
    return 0


def _clean_flac(data: bytes) -> CleanMedia:
    """Keep only the STREAMINFO and SEEKTABLE metadata blocks and the audio frames."""
    data = _strip_trailing_tags(data)
    bio = io.BytesIO(data)
    try:
        flac = FLAC(bio)
        flac.clear_pictures()
        flac.metadata_blocks = [b for b in flac.metadata_blocks if b.code in _FLAC_KEEP_BLOCKS]
        flac.tags = None
        flac.cuesheet = None
        bio.seek(0)  # mutagen reads from the current position
        flac.save(bio, deleteid3=True, padding=_no_padding)
    except Exception as exc:
        raise _corrupt_audio(f"FLAC: {_short(exc)}") from exc
    cleaned = bio.getvalue()
    check = _mutagen_open(FLAC, cleaned, "FLAC")
    codes = [block.code for block in check.metadata_blocks]
    if check.tags is not None or check.pictures or not set(codes) <= {0, 1, 3} or codes[0] != 0:
        raise _corrupt_audio("FLAC still carries metadata after cleaning")
    return _audio("audio/flac", "flac", cleaned)


# ---------------------------------------------------------------------------------------
# Ogg


def _ogg_pages(data: bytes) -> tuple[list[int], int]:
    """Serial numbers of the streams that begin in ``data`` and the end of the last page.

    Bytes after the last page that do not start another page (for example an ID3v1 tag
    appended by a tagger) are treated as junk to drop; a broken page is an error.
    """
    fileobj = io.BytesIO(data)
    serials: list[int] = []
    end = 0
    while end < len(data):
        try:
            page = OggPage(fileobj)
        except Exception as exc:
            if data[end : end + 4] == b"OggS":
                raise _corrupt_audio(f"invalid Ogg page at byte {end}: {_short(exc)}") from exc
            break
        if page.first:
            serials.append(page.serial)
        end = fileobj.tell()
    return serials, end


def _clean_ogg(data: bytes) -> CleanMedia:
    """Clear the Vorbis comments (and the encoder's vendor string) of Ogg Vorbis/Opus.

    Both codecs are reported as ``audio/ogg`` with extension ``ogg``.
    """
    serials, end = _ogg_pages(data)
    if end == 0 or not serials:
        raise _corrupt_audio("no Ogg pages found")
    first_page = OggPage(io.BytesIO(data))
    if not first_page.packets or not first_page.packets[0]:
        raise _corrupt_audio("the first Ogg page holds no packet")
    first_packet = first_page.packets[0]
    cls: type[OggVorbis] | type[OggOpus]
    if first_packet.startswith(b"\x01vorbis"):
        cls = OggVorbis
    elif first_packet.startswith(b"OpusHead"):
        cls = OggOpus
    else:
        found = next((n for m, n in _OGG_CODECS if first_packet.startswith(m)), None)
        raise _unsupported(found or "Ogg file with an unknown codec")
    if len(serials) > 1:
        raise MediaError(
            "Ogg file contains more than one stream (chained or multiplexed); "
            "only single-stream Ogg Vorbis/Opus files are accepted"
        )
    bio = io.BytesIO(data[:end])
    try:
        ogg = cls(bio)
        ogg.tags.clear()
        ogg.tags.vendor = ""
        if cls is OggOpus:
            # Binary data after the comments is preserved by mutagen; drop it as well.
            ogg.tags._pad_data = b""
        bio.seek(0)  # mutagen reads from the current position
        ogg.save(bio, padding=_no_padding)
    except Exception as exc:
        raise _corrupt_audio(f"Ogg: {_short(exc)}") from exc
    cleaned = bio.getvalue()
    check = _mutagen_open(cls, cleaned, "Ogg")
    if len(check.tags) or check.tags.vendor:
        raise _corrupt_audio("Ogg still carries comments after cleaning")
    return _audio("audio/ogg", "ogg", cleaned)


# ---------------------------------------------------------------------------------------
# MP4 / M4A

_MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex"}
# Boxes that only carry metadata (or leftovers of it) and are blanked in place.
_MP4_BLANK = {b"udta", b"meta", b"uuid", b"free", b"skip", b"XMP_", b"ID32"}
_MP4_TIMESTAMPED = {b"mvhd", b"tkhd", b"mdhd"}
_MP4_TRACK_KINDS = {b"vide": "video", b"text": "text", b"sbtl": "subtitle", b"subt": "subtitle"}


@dataclass
class _Box:
    kind: bytes
    start: int  # offset of the size field
    payload: int  # offset of the first payload byte
    end: int


def _mp4_boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[_Box]:
    pos = start
    while pos + 8 <= end:
        size = int.from_bytes(data[pos : pos + 4], "big")
        kind = bytes(data[pos + 4 : pos + 8])
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise _corrupt_audio("truncated MP4 box header")
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise _corrupt_audio(f"MP4 box {kind.decode('latin-1')!r} has an invalid size")
        yield _Box(kind, pos, pos + header, pos + size)
        pos += size
    if pos != end and any(data[pos:end]):
        raise _corrupt_audio("trailing bytes after the last MP4 box")


def _mp4_track_handlers(data: bytes) -> list[bytes]:
    handlers = []
    for top in _mp4_boxes(data, 0, len(data)):
        if top.kind != b"moov":
            continue
        for trak in _mp4_boxes(data, top.payload, top.end):
            if trak.kind != b"trak":
                continue
            handler = b""
            for mdia in _mp4_boxes(data, trak.payload, trak.end):
                if mdia.kind == b"mdia":
                    for box in _mp4_boxes(data, mdia.payload, mdia.end):
                        if box.kind == b"hdlr":
                            handler = data[box.payload + 8 : box.payload + 12]
            handlers.append(handler)
    return handlers


def _mp4_scrub(buf: bytearray, start: int, end: int) -> None:
    """Blank metadata boxes (as zero-filled ``free`` boxes of the same size, so no chunk
    offset changes) and zero the creation/modification times."""
    for box in _mp4_boxes(buf, start, end):
        if box.kind in _MP4_BLANK:
            buf[box.start + 4 : box.start + 8] = b"free"
            buf[box.payload : box.end] = bytes(box.end - box.payload)
        elif box.kind in _MP4_TIMESTAMPED and box.end - box.payload >= 20:
            width = 8 if buf[box.payload] == 1 else 4
            first = box.payload + 4
            buf[first : first + 2 * width] = bytes(2 * width)
        elif box.kind in _MP4_CONTAINERS:
            _mp4_scrub(buf, box.payload, box.end)


def _clean_mp4(data: bytes) -> CleanMedia:
    """Delete the iTunes-style tags with mutagen, then blank every remaining ``udta``,
    ``meta``, ``uuid`` and ``free`` box and the timestamps. Only audio-only files pass."""
    handlers = _mp4_track_handlers(data)
    if not handlers:
        raise _corrupt_audio("MP4 file has no 'moov' box with tracks")
    others = [h for h in handlers if h != b"soun"]
    if others:
        kind = _MP4_TRACK_KINDS.get(others[0], f"{others[0].decode('latin-1')!r}")
        raise MediaError(
            f"MP4 file contains a {kind} track; only audio-only MP4/M4A files are accepted"
        )
    bio = io.BytesIO(data)
    try:
        mp4 = MP4(bio)
        if mp4.tags is not None:
            bio.seek(0)  # mutagen reads from the current position
            mp4.tags.delete(bio)
    except Exception as exc:
        raise _corrupt_audio(f"MP4: {_short(exc)}") from exc
    buf = bytearray(bio.getvalue())
    _mp4_scrub(buf, 0, len(buf))
    cleaned = bytes(buf)
    check = _mutagen_open(MP4, cleaned, "MP4")
    if check.tags or check.chapters:
        raise _corrupt_audio("MP4 still carries tags after cleaning")
    return _audio("audio/mp4", "m4a", cleaned)


_AUDIO_CLEANERS: dict[str, Callable[[bytes], CleanMedia]] = {
    "mp3": _clean_mp3,
    "wav": _clean_wav,
    "flac": _clean_flac,
    "ogg": _clean_ogg,
    "mp4": _clean_mp4,
}
