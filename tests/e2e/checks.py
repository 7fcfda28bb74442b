"""Checks every browser test runs on the pages it visits."""

import re

# Template syntax that reached the screen: a multi-line {# #} comment (Django's are one
# line), a tag or variable that was not parsed.
TEMPLATE_SYNTAX = re.compile(r"\{#|#\}|\{%|%\}|\{\{|\}\}")

# How far the page reaches past the right edge of the window, and what sticks out.
HORIZONTAL_OVERFLOW = """() => {
  const root = document.documentElement;
  const wide = Array.from(document.querySelectorAll("body *")).filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > root.clientWidth + 1 && !el.closest(".table-responsive");
  }).map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + el.className);
  return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide.slice(0, 5)};
}"""


def assert_page_sound(page) -> None:
    """The page shows no raw template syntax, in its body or its tab title."""
    title = page.title()
    assert "<" not in title and not TEMPLATE_SYNTAX.search(title), f"title: {title[:200]!r}"
    text = page.locator("body").inner_text()
    leak = TEMPLATE_SYNTAX.search(text)
    assert not leak, f"template syntax on {page.url}: {text[max(0, leak.start() - 80) :][:200]!r}"


def assert_no_horizontal_scroll(page) -> None:
    width = page.evaluate(HORIZONTAL_OVERFLOW)
    assert width["scroll"] <= width["client"] and not width["wide"], (page.url, width)
