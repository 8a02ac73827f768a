from django import template

from studies.text_render import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    """Render Markdown with every HTML tag outside a small formatting set removed."""
    return render_markdown(text)
