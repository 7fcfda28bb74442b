"""What a list page's filter form needs: `{% load lists %}`.

- `select_options`: a choice field's options as (value, label, selected), what iterating
  the bound field gives (each option's `data`), without a widget built per option: the
  five selects of the client list's filters were built option by option on every page.
"""

from django import template

register = template.Library()


@register.filter
def select_options(field) -> list[tuple]:
    widget = field.field.widget
    value = widget.format_value(field.value())
    options: list[tuple] = []
    has_selected = False
    for option_value, label in widget.choices:
        if isinstance(label, (list, tuple)):  # option groups: Django's own walk
            return [(o.data["value"], o.choice_label, o.data["selected"]) for o in field]
        if option_value is None:
            option_value = ""
        # As ChoiceWidget.optgroups: a single select marks the first match only.
        selected = (not has_selected or widget.allow_multiple_selected) and str(
            option_value
        ) in value
        has_selected |= selected
        options.append((option_value, label, selected))
    return options
