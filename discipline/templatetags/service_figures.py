"""`pct`: a percentage of the service pages ("87.3%"), or "—" when there is nothing to count."""

from django import template

register = template.Library()


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{value}%"
