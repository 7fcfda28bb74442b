"""`get_item`: a dict's value by a key held in a variable (`person.cover|get_item:kind`)."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
