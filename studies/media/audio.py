"""Audio: the stream kept byte for byte, every tag container removed."""

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

from studies.media.types import OGG_CODECS, CleanMedia, MediaError, short_reason, unsupported

# ---------------------------------------------------------------------------------------
# Shared audio helpers


def _corrupt_audio(detail: str) -> MediaError:
    return MediaError(f"audio data is corrupt or truncated: {detail}")


def _audio(mime: str, extension: str, data: bytes) -> CleanMedia:
    return CleanMedia(kind="audio", mime=mime, extension=extension, data=data)


def _mutagen_open(cls: Callable[[io.BytesIO], mutagen.FileType], data: bytes, what: str):
    try:
        return cls(io.BytesIO(data))
    except Exception as exc:  # mutagen raises its own errors but also struct/value errors
        raise _corrupt_audio(f"{what}: {short_reason(exc)}") from exc


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


def id3v2_strip_leading(data: bytes) -> bytes:
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


def is_mpeg_audio_header(data: bytes, pos: int) -> bool:
    """A valid Layer III header at ``pos`` followed by another one (or the end of data)."""
    length = _mpeg_frame_length(data, pos)
    if length is None:
        return False
    nxt = pos + length
    return nxt >= len(data) or _mpeg_frame_length(data, nxt) is not None


def mpeg_audio_start(data: bytes) -> int | None:
    pos = data.find(b"\xff", 0, _MPEG_SEARCH_WINDOW)
    while 0 <= pos < _MPEG_SEARCH_WINDOW:
        if is_mpeg_audio_header(data, pos):
            return pos
        pos = data.find(b"\xff", pos + 1, _MPEG_SEARCH_WINDOW)
    return None


def _clean_mp3(data: bytes) -> CleanMedia:
    """``data`` has no leading ID3v2 tag any more; drop junk before the first frame and the
    tags at the end, and keep the MPEG frames untouched."""
    start = mpeg_audio_start(data)
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
        raise _corrupt_audio(f"FLAC: {short_reason(exc)}") from exc
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
                raise _corrupt_audio(
                    f"invalid Ogg page at byte {end}: {short_reason(exc)}"
                ) from exc
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
        found = next((n for m, n in OGG_CODECS if first_packet.startswith(m)), None)
        raise unsupported(found or "Ogg file with an unknown codec")
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
        raise _corrupt_audio(f"Ogg: {short_reason(exc)}") from exc
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
        raise _corrupt_audio(f"MP4: {short_reason(exc)}") from exc
    buf = bytearray(bio.getvalue())
    _mp4_scrub(buf, 0, len(buf))
    cleaned = bytes(buf)
    check = _mutagen_open(MP4, cleaned, "MP4")
    if check.tags or check.chapters:
        raise _corrupt_audio("MP4 still carries tags after cleaning")
    return _audio("audio/mp4", "m4a", cleaned)


AUDIO_CLEANERS: dict[str, Callable[[bytes], CleanMedia]] = {
    "mp3": _clean_mp3,
    "wav": _clean_wav,
    "flac": _clean_flac,
    "ogg": _clean_ogg,
    "mp4": _clean_mp4,
}
