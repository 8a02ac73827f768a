from rest_framework import renderers


class CSVRenderer(renderers.BaseRenderer):
    """Selects the ratings CSV (`?format=csv` or `Accept: text/csv`); the view streams it."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes | str) else b""


class PNGRenderer(renderers.BaseRenderer):
    """Lets `Accept: image/png` through content negotiation; the view sends the file."""

    media_type = "image/png"
    format = "png"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""
