"""Numbers of the results document as the results page shows them: `n/a` for a statistic
that could not be computed (null in the document), never an error."""

import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from analysis import presentation

register = template.Library()


@register.filter
def num(value, decimals=2):
    try:
        return presentation.number(value, int(decimals))
    except (TypeError, ValueError):
        return "n/a"


@register.filter
def pvalue(value):
    try:
        return presentation.p_value(value)
    except (TypeError, ValueError):
        return "n/a"


@register.filter
def interval(value, decimals=2):
    if not value or len(value) != 2:
        return "n/a"
    return f"{num(value[0], decimals)} to {num(value[1], decimals)}"


@register.filter
def pretty_json(value):
    return json.dumps(value, indent=2, ensure_ascii=False)


@register.tag
def scrolling(parser, token):
    """`{% scrolling "Groups" %}<table>…</table>{% endscrolling %}`: a wide table in a box
    of its own that scrolls sideways on a narrow screen (320 px, or 200 % zoom) while the
    page around it does not; the box is a region named by its label, which the keyboard
    can reach (tabindex) to scroll it."""
    try:
        _, label = token.split_contents()
    except ValueError as error:
        raise template.TemplateSyntaxError("{% scrolling %} takes one label") from error
    nodelist = parser.parse(("endscrolling",))
    parser.delete_first_token()
    return ScrollingNode(nodelist, parser.compile_filter(label))


class ScrollingNode(template.Node):
    def __init__(self, nodelist, label):
        self.nodelist, self.label = nodelist, label

    def render(self, context):
        return format_html(
            '<div class="scrolling" role="region" tabindex="0" aria-label="{}">{}</div>',
            self.label.resolve(context),
            mark_safe(self.nodelist.render(context)),  # rendered, so escaped, by the engine
        )
