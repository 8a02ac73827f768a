"""Tests for studies.media: content sniffing and metadata stripping of study media.

All fixtures are generated here (Pillow, the ``wave`` module, mutagen, hand-built
containers); no binary files are committed. Run without Django:
``.venv/bin/pytest -p no:django tests/studies/test_media.py``.
"""

from __future__ import annotations

import io
import random
import struct
import wave
import zlib

import pytest
from mutagen.apev2 import APEv2
from mutagen.flac import FLAC, MetadataBlock, Picture
from mutagen.id3 import APIC, ID3, TIT2, TPE1
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from studies.media import MAX_MEDIA_BYTES_DEFAULT, CleanMedia, MediaError, clean_media

# ---------------------------------------------------------------------------------------
# Image fixtures


def _exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Model] = "SecretModel-9000"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    gps[ExifTags.GPS.GPSMapDatum] = "SECRET-DATUM"
    return exif


def _noise_image(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    channels = len(mode)
    data = random.Random(1234).randbytes(size[0] * size[1] * channels)
    return Image.frombytes(mode, size, data)


def _save(im: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    im.save(out, format=fmt, **params)
    return out.getvalue()


def _jpeg_with_metadata() -> bytes:
    return _save(
        _noise_image(),
        "JPEG",
        exif=_exif_with_gps(),
        comment=b"SECRET-JPEG-COMMENT",
        xmp=b"<x:xmpmeta>SECRET-XMP</x:xmpmeta>",
        quality=90,
    )


def _png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "SECRET-TEXT-AUTHOR")
    info.add_text("Comment", "SECRET-ZTXT-COMMENT " * 20, zip=True)
    info.add_itxt("Description", "SECRET-ITXT-DESCRIPTION", lang="en", tkey="Beschreibung")
    info.add(b"tIME", struct.pack(">HBBBBB", 2021, 6, 7, 8, 9, 10))
    return _save(_noise_image(mode="RGBA"), "PNG", pnginfo=info, exif=_exif_with_gps())


def _webp_with_metadata(lossless: bool = False) -> bytes:
    return _save(
        _noise_image(),
        "WEBP",
        exif=_exif_with_gps(),
        xmp=b"<x:xmpmeta>SECRET-XMP</x:xmpmeta>",
        lossless=lossless,
        quality=90,
    )


_GIF_COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]


def _animated_gif_with_comment() -> bytes:
    frames = [Image.new("RGB", (30, 20), colour) for colour in _GIF_COLOURS]
    return _save(
        frames[0],
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=[100, 200, 300],
        loop=0,
        comment=b"SECRET-GIF-COMMENT",
    )


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims a huge size, with only a few bytes of pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def _assert_no_image_metadata(data: bytes) -> None:
    with _open(data) as im:
        assert len(im.getexif()) == 0
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"} & set(im.info)
        assert not getattr(im, "text", {})


# ---------------------------------------------------------------------------------------
# Audio fixtures


def _pcm_wav(frames: int = 400) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", (i * 97) % 20000 - 10000) for i in range(frames)))
    return out.getvalue()


def _riff_chunk(chunk_id: bytes, payload: bytes) -> bytes:
    pad = b"\x00" if len(payload) % 2 else b""
    return chunk_id + struct.pack("<I", len(payload)) + payload + pad


def _riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunks.append((chunk_id, data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size % 2)
    return chunks


def _id3_tag() -> bytes:
    tag = ID3()
    tag.add(TIT2(encoding=3, text="SECRET-ID3-TITLE"))
    tag.add(TPE1(encoding=3, text="SECRET-ID3-ARTIST"))
    tag.add(APIC(encoding=3, mime="image/png", type=3, desc="cover", data=b"SECRET-COVER"))
    out = io.BytesIO()
    tag.save(out)
    return out.getvalue()


def _wav_with_metadata() -> bytes:
    chunks = dict(_riff_chunks(_pcm_wav()))
    info = b"INFO" + _riff_chunk(b"IART", b"SECRET-WAV-ARTIST\x00")
    body = (
        b"WAVE"
        + _riff_chunk(b"fmt ", chunks[b"fmt "])
        + _riff_chunk(b"bext", b"SECRET-ORIGINATOR".ljust(602, b"\x00"))
        + _riff_chunk(b"data", chunks[b"data"])
        + _riff_chunk(b"LIST", info)
        + _riff_chunk(b"iXML", b"<BWFXML>SECRET-IXML</BWFXML>")
        + _riff_chunk(b"id3 ", _id3_tag())
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


# MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, joint stereo: 417-byte frames.
_MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(417 - 4)
_MP3_FRAMES = _MP3_FRAME * 20


def _id3v1_tag() -> bytes:
    fields = [b"SECRET-V1-TITLE", b"SECRET-V1-ARTIST", b"album", b"2021", b"comment"]
    sizes = [30, 30, 30, 4, 30]
    body = b"".join(f.ljust(n, b"\x00") for f, n in zip(fields, sizes, strict=True))
    return b"TAG" + body + b"\x0c"  # genre 12


def _mp3_with_all_tags() -> bytes:
    bio = io.BytesIO(_MP3_FRAMES)
    ape = APEv2()
    ape["Artist"] = "SECRET-APE-ARTIST"
    ape.save(bio)
    return _id3_tag() + bio.getvalue() + _id3v1_tag()


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def _flac_frame() -> bytes:
    """One valid FLAC frame: 4096 samples of mono 16-bit 44.1 kHz silence (CONSTANT)."""
    header = b"\xff\xf8\xc9\x08\x00"  # sync, 4096 samples, 44.1 kHz, mono, 16 bit, frame 0
    header += bytes([_crc8(header)])
    frame = header + b"\x00" + b"\x00\x00"  # CONSTANT subframe with value 0
    return frame + struct.pack(">H", _crc16(frame))


def _flac_streaminfo() -> bytes:
    sample_info = (44100 << 44) | (0 << 41) | (15 << 36) | 4096
    return struct.pack(">HH", 4096, 4096) + bytes(6) + sample_info.to_bytes(8, "big") + bytes(16)


def _flac_with_metadata() -> bytes:
    streaminfo = _flac_streaminfo()
    bio = io.BytesIO(b"fLaC" + bytes([0x80]) + len(streaminfo).to_bytes(3, "big") + streaminfo)
    bio.seek(0, 2)
    bio.write(_flac_frame())
    bio.seek(0)
    flac = FLAC(bio)
    flac.add_tags()
    flac["artist"] = "SECRET-FLAC-ARTIST"
    picture = Picture()
    picture.type = 3
    picture.mime = "image/png"
    picture.data = b"SECRET-FLAC-PICTURE"
    flac.add_picture(picture)
    application = MetadataBlock(b"riffSECRET-FLAC-APPLICATION")
    application.code = 2
    flac.metadata_blocks.append(application)
    bio.seek(0)
    flac.save(bio)
    return bio.getvalue()


def _ogg_pages(packet_pages: list[list[bytes]], granules: list[int], serial: int) -> bytes:
    out = b""
    for sequence, (packets, granule) in enumerate(zip(packet_pages, granules, strict=True)):
        page = OggPage()
        page.packets = packets
        page.serial = serial
        page.sequence = sequence
        page.position = granule
        page.first = sequence == 0
        page.last = sequence == len(packet_pages) - 1
        out += page.write()
    return out


def _vorbis_comment(vendor: bytes, comments: list[bytes]) -> bytes:
    body = struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(comments))
    return body + b"".join(struct.pack("<I", len(c)) + c for c in comments)


def _ogg_opus_with_comments(serial: int = 0x1234) -> bytes:
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    tags = b"OpusTags" + _vorbis_comment(
        b"SECRET-ENCODER 1.0", [b"ARTIST=SECRET-OPUS-ARTIST", b"TITLE=secret title"]
    )
    audio = [b"\xfc" + bytes(20)] * 5
    return _ogg_pages([[head], [tags], audio], [0, 0, 312 + 960 * 5], serial)


def _ogg_vorbis_with_comments() -> bytes:
    ident = b"\x01vorbis" + struct.pack("<IBIiiiBB", 0, 1, 44100, 0, 128000, 0, 0xB8, 1)
    comment = (
        b"\x03vorbis"
        + _vorbis_comment(b"SECRET-VORBIS-ENCODER", [b"ARTIST=SECRET-VORBIS-ARTIST"])
        + b"\x01"
    )
    setup = b"\x05vorbis" + bytes(30)
    audio = [bytes(40)] * 4
    return _ogg_pages([[ident], [comment, setup], audio], [0, 0, 4096], 0x5678)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, payload: bytes) -> bytes:
    return _box(kind, b"\x00\x00\x00\x00" + payload)


_MP4_CREATED, _MP4_MODIFIED = b"\x11\x22\x33\x44", b"\x55\x66\x77\x88"
_MP4_AUDIO = b"AUDIO-SAMPLE-DATA-" * 8
_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _mp4_moov(handler: bytes, chunk_offset: int) -> bytes:
    times = _MP4_CREATED + _MP4_MODIFIED
    mvhd = _full_box(
        b"mvhd",
        times
        + struct.pack(">IIIH", 1000, 1000, 0x10000, 0x100)
        + bytes(10)
        + _MATRIX
        + bytes(24)
        + struct.pack(">I", 2),
    )
    tkhd = _full_box(
        b"tkhd",
        times + struct.pack(">III", 1, 0, 1000) + bytes(8) + bytes(8) + _MATRIX + bytes(8),
    )
    mdhd = _full_box(b"mdhd", times + struct.pack(">IIHH", 44100, 44100, 0x55C4, 0))
    hdlr = _full_box(b"hdlr", bytes(4) + handler + bytes(12) + b"SECRET-HANDLER\x00")
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", struct.pack(">I", 0))
        + _full_box(b"stco", struct.pack(">II", 1, chunk_offset)),
    )
    mdia = _box(b"mdia", mdhd + hdlr + _box(b"minf", stbl))
    location = b"+51.5074-000.1278/"
    udta = _box(b"udta", _box(b"\xa9xyz", struct.pack(">HH", len(location), 0x15C7) + location))
    return _box(b"moov", mvhd + _box(b"trak", tkhd + mdia) + udta)


def _plain_mp4(handler: bytes = b"soun") -> bytes:
    ftyp = _box(b"ftyp", b"M4A " + bytes(4) + b"M4A mp42isom")
    xmp = _box(b"uuid", bytes(16) + b"<x:xmpmeta>SECRET-MP4-XMP</x:xmpmeta>")
    free = _box(b"free", b"SECRET-LEFTOVER-IN-FREE")
    head_size = len(ftyp) + len(xmp) + len(free)
    moov_size = len(_mp4_moov(handler, 0))
    moov = _mp4_moov(handler, head_size + moov_size + 8)
    return ftyp + xmp + free + moov + _box(b"mdat", _MP4_AUDIO)


def _mp4_with_metadata() -> bytes:
    bio = io.BytesIO(_plain_mp4())
    mp4 = MP4(bio)
    mp4.add_tags()
    mp4["\xa9ART"] = ["SECRET-MP4-ARTIST"]
    mp4["covr"] = [MP4Cover(b"SECRET-MP4-COVER", imageformat=MP4Cover.FORMAT_PNG)]
    mp4.save(bio)
    return bio.getvalue()


def _mp4_chunk_offset(data: bytes) -> int:
    pos = data.index(b"stco")
    return struct.unpack(">I", data[pos + 12 : pos + 16])[0]


# ---------------------------------------------------------------------------------------
# Images


def test_jpeg_with_exif_gps_xmp_and_comment_is_stored_without_them():
    """EXIF (with its GPS IFD), XMP and the COM segment are all gone from a cleaned JPEG."""
    source = _jpeg_with_metadata()
    for secret in (b"SECRET-DATUM", b"SecretCam", b"SECRET-JPEG-COMMENT", b"SECRET-XMP"):
        assert secret in source  # the fixture really carries the metadata

    result = clean_media(source)

    assert result == CleanMedia("image", "image/jpeg", "jpg", result.data)
    for secret in (b"SECRET-DATUM", b"SecretCam", b"SECRET-JPEG-COMMENT", b"SECRET-XMP"):
        assert secret not in result.data
    assert b"Exif\x00\x00" not in result.data
    _assert_no_image_metadata(result.data)
    with _open(result.data) as im:
        assert im.format == "JPEG"
        assert im.size == (64, 48)
        assert im.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}


def test_jpeg_exif_orientation_is_applied_to_the_pixels():
    """A JPEG stored sideways with Orientation=6 comes out upright, with no tag left."""
    im = Image.new("RGB", (40, 20), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 20, 20))  # left half red, right half blue
    source = _save(im, "JPEG", exif=_exif_with_gps(orientation=6))

    result = clean_media(source)

    with _open(result.data) as out:
        assert out.size == (20, 40)  # rotated 90 degrees clockwise for display
        red, _, blue = out.getpixel((10, 5))
        assert red > 200 and blue < 60  # the left edge became the top edge
        red, _, blue = out.getpixel((10, 35))
        assert blue > 200 and red < 60
        assert ExifTags.Base.Orientation not in out.getexif()


def test_cmyk_jpeg_is_stored_as_rgb():
    """JPEG output is RGB (or greyscale) even when the upload was CMYK."""
    source = _save(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG")

    result = clean_media(source)

    with _open(result.data) as out:
        assert out.mode == "RGB"
        red, green, blue = out.getpixel((8, 8))
        assert red > 200 and green < 60 and blue < 60


def test_png_text_time_and_exif_chunks_are_removed_but_pixels_and_alpha_kept():
    """tEXt, zTXt, iTXt, tIME and eXIf chunks are dropped; the RGBA pixels are identical."""
    source = _png_with_metadata()
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"tIME", b"eXIf"):
        assert chunk in source

    result = clean_media(source)

    assert (result.kind, result.mime, result.extension) == ("image", "image/png", "png")
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"tIME", b"eXIf"):
        assert chunk not in result.data
    for secret in (b"SECRET-TEXT-AUTHOR", b"SECRET-ITXT-DESCRIPTION", b"SECRET-DATUM"):
        assert secret not in result.data
    _assert_no_image_metadata(result.data)
    with _open(result.data) as out, _open(source) as original:
        assert out.mode == "RGBA"
        assert out.tobytes() == original.tobytes()


def test_png_icc_profile_is_converted_into_the_pixels_and_dropped():
    """An embedded ICC profile is not stored (it can name the device or software)."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = _save(_noise_image(), "PNG", icc_profile=icc)
    assert b"iCCP" in source

    result = clean_media(source)

    assert b"iCCP" not in result.data
    with _open(result.data) as out, _open(source) as original:
        assert "icc_profile" not in out.info
        assert out.size == original.size
        assert max(abs(a - b) for a, b in zip(out.tobytes(), original.tobytes(), strict=True)) <= 2


def test_palette_png_keeps_its_palette_and_transparency():
    """A palette PNG stays a palette PNG with the same colours and transparent index."""
    im = Image.new("P", (8, 8), 1)
    im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0])
    im.paste(2, (0, 0, 4, 8))
    source = _save(im, "PNG", transparency=0)

    result = clean_media(source)

    with _open(result.data) as out:
        assert out.mode == "P"
        assert out.info.get("transparency") == 0
        assert out.convert("RGB").getpixel((0, 0)) == (0, 255, 0)
        assert out.convert("RGB").getpixel((7, 7)) == (255, 0, 0)


def test_webp_with_exif_and_xmp_is_stored_without_them():
    """A lossy WebP loses its EXIF and XMP chunks and stays lossy WebP."""
    source = _webp_with_metadata()
    assert b"EXIF" in source and b"SECRET-XMP" in source

    result = clean_media(source)

    assert (result.mime, result.extension) == ("image/webp", "webp")
    assert b"EXIF" not in result.data and b"XMP " not in result.data
    assert b"SECRET-DATUM" not in result.data and b"SECRET-XMP" not in result.data
    assert b"VP8 " in result.data
    _assert_no_image_metadata(result.data)


def test_lossless_webp_is_re_encoded_losslessly():
    """A lossless WebP source is re-encoded losslessly, so its pixels do not change."""
    source = _webp_with_metadata(lossless=True)

    result = clean_media(source)

    assert b"VP8L" in result.data
    with _open(result.data) as out, _open(source) as original:
        assert out.tobytes() == original.tobytes()


def test_animated_gif_loses_its_comment_but_keeps_frames_and_timing():
    """GIF comment extensions are dropped; all frames, durations and the loop survive."""
    source = _animated_gif_with_comment()
    assert b"SECRET-GIF-COMMENT" in source

    result = clean_media(source)

    assert (result.mime, result.extension) == ("image/gif", "gif")
    assert b"SECRET-GIF-COMMENT" not in result.data
    with _open(result.data) as out:
        assert "comment" not in out.info
        assert out.n_frames == 3
        assert out.info.get("loop") == 0
        for index, colour in enumerate(_GIF_COLOURS):
            out.seek(index)
            assert out.info["duration"] == [100, 200, 300][index]
            assert out.convert("RGB").getpixel((15, 10)) == colour


def test_animated_webp_keeps_all_frames():
    """An animated WebP is stored as an animated WebP with the same number of frames."""
    frames = [Image.new("RGB", (24, 24), colour) for colour in _GIF_COLOURS]
    source = _save(
        frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=80, lossless=True
    )

    result = clean_media(source)

    with _open(result.data) as out:
        assert out.n_frames == 3
        out.seek(2)
        assert out.convert("RGB").getpixel((12, 12)) == (0, 0, 255)


def test_truncated_png_is_rejected_as_corrupt():
    """A PNG cut in half is refused with a 'corrupt or truncated' message."""
    source = _save(_noise_image((128, 128)), "PNG")

    with pytest.raises(MediaError, match="image data is corrupt or truncated"):
        clean_media(source[: len(source) // 2])


def test_truncated_jpeg_is_rejected_as_corrupt():
    """A JPEG cut in half is refused rather than stored half grey."""
    source = _save(_noise_image((128, 128)), "JPEG")

    with pytest.raises(MediaError, match="image data is corrupt or truncated"):
        clean_media(source[: len(source) // 2])


def test_image_over_the_pixel_limit_is_rejected_before_decoding():
    """An image claiming 8000x8000 (64 megapixels) is refused from its header alone."""
    with pytest.raises(MediaError, match=r"too large: 8000x8000 is 64\.0 megapixels"):
        clean_media(_png_header_claiming(8000, 8000))


def test_decompression_bomb_is_rejected():
    """A PNG claiming 30000x30000 pixels (Pillow's own bomb check) becomes a MediaError."""
    with pytest.raises(MediaError, match="too large"):
        clean_media(_png_header_claiming(30000, 30000))


# ---------------------------------------------------------------------------------------
# Refused content


def test_empty_file_is_rejected():
    """Zero bytes are refused with 'file is empty'."""
    with pytest.raises(MediaError, match=r"^file is empty$"):
        clean_media(b"")


def test_file_over_max_bytes_is_rejected_with_its_size_and_the_limit():
    """A file over max_bytes is refused before parsing, naming both sizes."""
    source = _save(_noise_image(), "PNG")

    with pytest.raises(MediaError) as caught:
        clean_media(source, max_bytes=100)

    message = str(caught.value)
    assert "too large" in message
    assert f"{len(source) / 1024:.1f} KB" in message
    assert "limit of 100 bytes" in message


def test_default_limit_is_20_megabytes():
    """The default limit is 20 MB; a 21 MB upload is refused with both sizes in MB."""
    assert MAX_MEDIA_BYTES_DEFAULT == 20 * 1024 * 1024

    with pytest.raises(MediaError, match=r"21\.0 MB is over the limit of 20\.0 MB"):
        clean_media(b"\x00" * (21 * 1024 * 1024))


def test_file_exactly_at_the_limit_is_accepted():
    """max_bytes is inclusive."""
    source = _save(_noise_image(), "PNG")

    assert clean_media(source, max_bytes=len(source)).kind == "image"


def test_text_file_named_like_an_image_is_rejected_as_unsupported_content():
    """Type comes from the bytes, so text renamed .png is refused as plain text."""
    with pytest.raises(MediaError) as caught:
        clean_media(b"hello, this is not an image")

    message = str(caught.value)
    assert "not a supported image or audio file" in message
    assert "plain text" in message


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF document"),
        (b"PK\x03\x04" + bytes(40), "ZIP archive"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC/HEIF image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "SVG image"),
        (b"\x00\x13\x37\xfe" * 40, "unrecognised bytes"),
    ],
)
def test_unsupported_content_is_rejected_naming_what_it_looks_like(content, looks_like):
    """The error names the kind of content found so the researcher knows what went wrong."""
    with pytest.raises(MediaError, match=f"looks like: {looks_like}"):
        clean_media(content)


def test_ogg_with_an_unsupported_codec_is_rejected():
    """Only Vorbis and Opus are accepted inside Ogg; Ogg FLAC is refused by name."""
    source = _ogg_pages([[b"\x7fFLAC\x01\x00" + bytes(40)], [bytes(10)]], [0, 100], 1)

    with pytest.raises(MediaError, match="looks like: Ogg FLAC audio"):
        clean_media(source)


@pytest.mark.parametrize(
    "content",
    [
        b"fLaC" + b"\x00\xff" * 40,
        b"OggS" + b"\x00\xff" * 40,
        b"\x00\x00\x00\x14ftypM4A \x00\x00\x00\x00isom" + bytes(20),
        b"RIFF\x20\x00\x00\x00WAVEfmt \x10\x00\x00\x00",
    ],
    ids=["flac", "ogg", "mp4", "wav"],
)
def test_corrupt_audio_with_valid_magic_bytes_is_rejected(content):
    """Audio whose magic bytes are right but whose structure is broken is refused."""
    with pytest.raises(MediaError, match="audio data is corrupt or truncated"):
        clean_media(content)


# ---------------------------------------------------------------------------------------
# Audio


def test_wav_metadata_chunks_are_dropped_and_audio_is_kept():
    """LIST/INFO, bext, iXML and id3 chunks go; fmt and data stay and still play."""
    source = _wav_with_metadata()
    assert WAVE(io.BytesIO(source)).tags is not None
    for secret in (b"SECRET-WAV-ARTIST", b"SECRET-ORIGINATOR", b"SECRET-IXML", b"SECRET-ID3"):
        assert secret in source

    result = clean_media(source)

    assert (result.kind, result.mime, result.extension) == ("audio", "audio/wav", "wav")
    assert [chunk_id for chunk_id, _ in _riff_chunks(result.data)] == [b"fmt ", b"data"]
    for secret in (b"SECRET-WAV-ARTIST", b"SECRET-ORIGINATOR", b"SECRET-IXML", b"SECRET-ID3"):
        assert secret not in result.data
    assert struct.unpack("<I", result.data[4:8])[0] == len(result.data) - 8
    assert WAVE(io.BytesIO(result.data)).tags is None
    with wave.open(io.BytesIO(result.data)) as cleaned, wave.open(io.BytesIO(_pcm_wav())) as pcm:
        assert cleaned.getparams() == pcm.getparams()
        assert cleaned.readframes(10_000) == pcm.readframes(10_000)


def test_wav_with_a_chunk_running_past_the_end_is_rejected():
    """A chunk whose declared size overruns the file is reported as corrupt."""
    source = _pcm_wav()
    broken = source + b"LIST" + struct.pack("<I", 5000) + b"INFOIART"
    broken = b"RIFF" + struct.pack("<I", len(broken) - 8) + broken[8:]

    with pytest.raises(MediaError, match="'LIST' runs past the end"):
        clean_media(broken)


def test_mp3_id3v2_apev2_and_id3v1_tags_are_removed_and_frames_kept():
    """Leading ID3v2 (with padding), trailing APEv2 and ID3v1 are stripped; frames are intact."""
    source = _mp3_with_all_tags()
    assert MP3(io.BytesIO(source)).tags is not None
    for secret in (b"SECRET-ID3-TITLE", b"SECRET-COVER", b"SECRET-APE-ARTIST", b"SECRET-V1"):
        assert secret in source

    result = clean_media(source)

    assert (result.kind, result.mime, result.extension) == ("audio", "audio/mpeg", "mp3")
    assert result.data == _MP3_FRAMES
    parsed = MP3(io.BytesIO(result.data))
    assert parsed.tags is None
    assert parsed.info.length > 0


def test_untagged_mp3_is_recognised_by_frame_sync_and_returned_unchanged():
    """Raw MPEG frames with no tags are accepted as MP3 and left byte for byte."""
    assert clean_media(_MP3_FRAMES).data == _MP3_FRAMES


def test_id3_tag_followed_by_something_other_than_audio_is_rejected():
    """An ID3 header does not make a file MP3: what follows it must be MPEG audio or FLAC."""
    with pytest.raises(MediaError, match="looks like: ID3 tag followed by plain text"):
        clean_media(_id3_tag() + b"this is a text file with an ID3 tag in front of it")


@pytest.mark.parametrize("id3_prefix", [False, True], ids=["plain", "id3-prefixed"])
def test_flac_vorbis_comment_picture_and_application_blocks_are_removed(id3_prefix):
    """Only STREAMINFO is left in the metadata (and an ID3 prefix is gone); the frame is intact."""
    source = _flac_with_metadata()
    if id3_prefix:
        source = _id3_tag() + source
    for secret in (b"SECRET-FLAC-ARTIST", b"SECRET-FLAC-PICTURE", b"SECRET-FLAC-APPLICATION"):
        assert secret in source

    result = clean_media(source)

    assert (result.kind, result.mime, result.extension) == ("audio", "audio/flac", "flac")
    for secret in (b"SECRET-FLAC", b"SECRET-ID3", b"SECRET-COVER"):
        assert secret not in result.data
    assert result.data.startswith(b"fLaC")
    assert result.data.endswith(_flac_frame())
    parsed = FLAC(io.BytesIO(result.data))
    assert parsed.tags is None
    assert parsed.pictures == []
    # STREAMINFO, plus at most the empty PADDING block mutagen writes.
    assert [block.code for block in parsed.metadata_blocks] in ([0], [0, 1])
    assert len(result.data) <= len(b"fLaC") + 4 + 34 + 4 + len(_flac_frame())
    assert parsed.info.total_samples == 4096


def test_ogg_opus_comments_and_vendor_string_are_removed():
    """Opus comments are cleared and the encoder's vendor string is blanked."""
    source = _ogg_opus_with_comments()
    assert OggOpus(io.BytesIO(source)).tags["artist"] == ["SECRET-OPUS-ARTIST"]

    result = clean_media(source)

    assert (result.kind, result.mime, result.extension) == ("audio", "audio/ogg", "ogg")
    assert b"SECRET" not in result.data
    parsed = OggOpus(io.BytesIO(result.data))
    assert len(parsed.tags) == 0
    assert parsed.tags.vendor == ""
    assert parsed.info.length == pytest.approx(0.1)


def test_ogg_vorbis_comments_are_removed():
    """Vorbis comments are cleared; the stream still opens as Ogg Vorbis."""
    source = _ogg_vorbis_with_comments()
    assert OggVorbis(io.BytesIO(source)).tags["artist"] == ["SECRET-VORBIS-ARTIST"]

    result = clean_media(source)

    assert b"SECRET" not in result.data
    parsed = OggVorbis(io.BytesIO(result.data))
    assert len(parsed.tags) == 0
    assert parsed.info.sample_rate == 44100


def test_chained_ogg_streams_are_rejected():
    """A second logical stream could carry its own comments, so chained Ogg is refused."""
    source = _ogg_opus_with_comments(serial=1) + _ogg_opus_with_comments(serial=2)

    with pytest.raises(MediaError, match="more than one stream"):
        clean_media(source)


def test_mp4_tags_user_data_uuid_boxes_and_timestamps_are_removed():
    """iTunes tags, cover art, udta (GPS), XMP uuid boxes, free-box leftovers and creation
    times are all gone, and the chunk offset still points at the audio samples."""
    source = _mp4_with_metadata()
    assert MP4(io.BytesIO(source)).tags["\xa9ART"] == ["SECRET-MP4-ARTIST"]
    secrets = (b"SECRET-MP4", b"+51.5074", b"SECRET-LEFTOVER", _MP4_CREATED, _MP4_MODIFIED)
    for secret in secrets:
        assert secret in source

    result = clean_media(source)

    assert (result.kind, result.mime, result.extension) == ("audio", "audio/mp4", "m4a")
    for secret in secrets:
        assert secret not in result.data
    parsed = MP4(io.BytesIO(result.data))
    assert not parsed.tags
    offset = _mp4_chunk_offset(result.data)
    assert result.data[offset : offset + len(_MP4_AUDIO)] == _MP4_AUDIO


def test_mp4_with_a_video_track_is_rejected():
    """Only audio-only MP4/M4A files are accepted."""
    with pytest.raises(MediaError, match="contains a video track"):
        clean_media(_plain_mp4(handler=b"vide"))


# ---------------------------------------------------------------------------------------
# Determinism


@pytest.mark.parametrize(
    "make",
    [
        _jpeg_with_metadata,
        _png_with_metadata,
        _webp_with_metadata,
        _animated_gif_with_comment,
        _wav_with_metadata,
        _mp3_with_all_tags,
        _flac_with_metadata,
        _ogg_opus_with_comments,
        _ogg_vorbis_with_comments,
        _mp4_with_metadata,
    ],
)
def test_cleaning_the_same_input_twice_gives_identical_bytes(make):
    """Cleaning is deterministic, and cleaning a cleaned file is accepted again."""
    source = make()

    first, second = clean_media(source), clean_media(source)

    assert first == second
    assert first.data != source  # every fixture carries metadata that had to go
    assert clean_media(first.data).mime == first.mime
