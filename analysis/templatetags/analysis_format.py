"""Numbers of the results document as the results page shows them: `n/a` for a statistic
that could not be computed (null in the document), never an error."""

import json

from django import template

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
