"""Images: decoded and re-encoded into new files of the same format, pixels only."""

from __future__ import annotations

import io

from PIL import Image, ImageCms, ImageOps, ImageSequence, JpegImagePlugin

from studies.media.types import CleanMedia, MediaError, short_reason

#: Largest single image (or animation frame) that is decoded, in pixels. Pillow's own
#: ``Image.MAX_IMAGE_PIXELS`` is honoured too when it is set lower.
MAX_IMAGE_PIXELS = 50_000_000
#: Largest total over all frames of an animation, in pixels (bounds memory and CPU).
MAX_ANIMATION_PIXELS = 100_000_000
#: Largest number of frames in an animation.
MAX_ANIMATION_FRAMES = 1_000
JPEG_QUALITY = 95


# ---------------------------------------------------------------------------------------
# Images

IMAGE_FORMATS: dict[str, tuple[tuple[str, ...], str, str, str]] = {
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


def image_clean(data: bytes, fmt: str) -> CleanMedia:
    """Decode the image and re-encode its pixels into a new file of the same format.

    GIF, WebP and APNG animations keep every frame, their durations and the loop count;
    frames are stored fully composited (which can make the file larger than the source).
    """
    open_formats, save_format, mime, extension = IMAGE_FORMATS[fmt]
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
        raise MediaError(f"image data is corrupt or truncated: {short_reason(exc)}") from exc
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
