"""The review as a phone-width long image (750 px, the width WeChat shows without scaling),
drawn with Pillow from `review_data`'s dict."""

import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageDraw

from agentcrm.core.money import money_text

from ..selectors.review import COVER_LABELS, COVER_TYPES
from .fonts import drawable, pil_font

WIDTH = 750
MARGIN = 36
INK = (33, 37, 41)
MUTED = (108, 117, 125)
BRAND = (13, 94, 175)
LIGHT = (232, 241, 251)
RED = (192, 57, 43)
AMBER = (214, 137, 16)
GREEN = (39, 135, 75)
RULE = (222, 226, 230)
STATE_COLOURS = {"none": RED, "below": AMBER, "ok": GREEN, "na": MUTED}


def wan(value) -> str:
    return money_text(Decimal(value), "CNY", short=True)


def day_text(iso: str | None) -> str:
    """A day in the active language: 2026年1月3日, Jan. 3, 2026."""
    if not iso:
        return "—"
    return date_format(date.fromisoformat(iso), "DATE_FORMAT")


def household_line(data: dict[str, Any]) -> str:
    """张伟 家庭 · 共 6 人 · 20 份保单."""
    people, policies = len(data["people"]), len(data["policies"])
    return " · ".join(
        (
            _("%(name)s's household") % {"name": data["client"]["name"]},
            ngettext("%(count)s person", "%(count)s people", people) % {"count": people},
            ngettext("%(count)s policy", "%(count)s policies", policies) % {"count": policies},
        )
    )


def age_text(age: int | None) -> str:
    return _("%(age)s years old") % {"age": age} if age is not None else ""


def cover_text(cover: dict[str, Any], sep: str) -> str:
    """What a person has of one cover and the need: 10万 / 需 500万, 无."""
    have = wan(cover["sum"]) if cover["count"] else _("none")
    if not cover["need"]:
        return have
    return f"{have}{sep}" + _("need %(amount)s") % {"amount": wan(cover["need"])}


def disclaimer() -> str:
    return _(
        "This review is drawn from the policies your adviser has on record; the policy "
        "contracts prevail. ID and policy numbers are partly hidden."
    )


# Punctuation that never starts a line (禁则): it stays with the character before it.
NO_LINE_START = frozenset("，。、；：？！）》」』”’%,.;:?!)]}")
_WORD = re.compile(r"[A-Za-z0-9$¥@._/'\-]+ ?| |.", re.S)


def wrap(text: str, font, width: int) -> list[str]:
    """Lines of `text` no wider than `width`: Chinese broken between any two characters but
    before no closing punctuation, English and numbers between words (a word wider than the
    line is broken where it must be)."""
    units: list[str] = []
    for unit in _WORD.findall(text):
        if units and unit in NO_LINE_START:
            units[-1] += unit
        else:
            units.append(unit)
    lines, line, used = [], "", 0.0
    for unit in units:
        advance = sum(_advance(font, ch) for ch in unit)
        if used + advance > width and line:
            lines.append(line.rstrip(" "))
            line, used = "", 0.0
            if unit == " ":
                continue
        if advance > width:  # one long word: character by character
            for ch in unit:
                a = _advance(font, ch)
                if used + a > width and line:
                    lines.append(line)
                    line, used = "", 0.0
                line += ch
                used += a
            continue
        line += unit
        used += advance
    if line:
        lines.append(line.rstrip(" "))
    return lines or [""]


_advances: dict[tuple[str, int, str], float] = {}


def _advance(font, ch: str) -> float:
    """A character's advance width (no kerning between CJK characters), cached."""
    key = (font.path, font.size, ch)
    if key not in _advances:
        _advances[key] = font.getlength(ch)
    return _advances[key]


# (font file, size, character) -> (bitmap, offset, advance); a few hundred characters.
_glyphs: dict[tuple[str, int, str], tuple] = {}


def draw_line(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, font, ink) -> None:
    """`text` drawn one cached glyph bitmap at a time: a long image repeats a few hundred
    characters thousands of times, and FreeType would render each again (what
    ImageDraw.text does, with the same bitmaps and the same advances)."""
    x, y = xy
    for ch in text:
        key = (font.path, font.size, ch)
        if key not in _glyphs:
            _glyphs[key] = (*font.getmask2(ch, "L", anchor="la"), font.getlength(ch))
        mask, offset, advance = _glyphs[key]
        if mask.size[0] and mask.size[1]:
            draw.draw.draw_bitmap((int(x) + offset[0], y + offset[1]), mask, ink)
        x += advance


class Canvas:
    """A tall page drawn top to bottom; `finish` crops it to what was drawn."""

    def __init__(self, height: int):
        self.image = Image.new("RGB", (WIDTH, height), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.y = 0

    def text(self, text, *, size=26, bold=False, fill=INK, x=MARGIN, width=None, gap=8):
        font = pil_font(size, bold)
        width = width or WIDTH - x - MARGIN
        ink = self.draw._getink(fill)[0]
        for line in wrap(drawable(str(text)), font, width):
            draw_line(self.draw, (x, self.y), line, font, ink)
            self.y += int(size * 1.45)
        self.y += gap

    def rule(self, gap=18):
        self.y += gap // 2
        self.draw.line((MARGIN, self.y, WIDTH - MARGIN, self.y), fill=RULE, width=2)
        self.y += gap

    def finish(self) -> Image.Image:
        return self.image.crop((0, 0, WIDTH, self.y + MARGIN))


def review_png(data: dict[str, Any]) -> bytes:
    people, issues, policies = data["people"], data["issues"], data["policies"]
    c = Canvas(900 + 330 * len(people) + 90 * len(issues) + 150 * len(policies))
    # Header band.
    c.draw.rectangle((0, 0, WIDTH, 190), fill=BRAND)
    c.y = 40
    c.text(_("Household policy review"), size=44, bold=True, fill="white", gap=4)
    c.text(household_line(data), size=26, fill="white")
    c.y = 220
    # Per person: the six covers against the needs.
    c.text(_("Cover at a glance"), size=32, bold=True, fill=BRAND)
    for person in people:
        c.draw.rounded_rectangle(
            (MARGIN - 12, c.y - 6, WIDTH - MARGIN + 12, c.y + 52), radius=10, fill=LIGHT
        )
        who = " · ".join(x for x in (person["relation_label"], age_text(person["age"])) if x)
        c.text(
            _("%(name)s (%(who)s)") % {"name": person["name"], "who": who},
            size=30,
            bold=True,
            gap=18,
        )
        half = (WIDTH - 2 * MARGIN) // 2
        top = c.y
        for i, kind in enumerate(COVER_TYPES):
            cover = person["cover"][kind]
            x = MARGIN + (i % 2) * half
            c.y = top + (i // 2) * 76
            colour = STATE_COLOURS[cover["state"]]
            c.draw.ellipse((x, c.y + 10, x + 14, c.y + 24), fill=colour)
            c.text(str(COVER_LABELS[kind]), size=24, x=x + 24, width=half - 30, gap=0)
            c.text(
                cover_text(cover, " / "),
                size=24,
                bold=True,
                fill=colour,
                x=x + 24,
                width=half - 30,
                gap=0,
            )
        c.y = top + 3 * 76 + 6
        extra = _("Yearly premium %(amount)s") % {
            "amount": money_text(Decimal(person["premium"]), "CNY")
        }
        if person["foreign"]:
            extra += " · " + ngettext(
                "%(count)s policy in another currency (not added in)",
                "%(count)s policies in another currency (not added in)",
                person["foreign"],
            ) % {"count": person["foreign"]}
        c.text(extra, size=22, fill=MUTED)
        c.rule()
    # The issue list.
    c.text(_("Issue list (%(count)s)") % {"count": len(issues)}, size=32, bold=True, fill=RED)
    if not issues:
        c.text(_("No issues found."), size=26, fill=GREEN)
    for i, issue in enumerate(issues, 1):
        c.text(f"{i}. {issue['text']}", size=26, gap=10)
    c.text(premium_line(data["totals"]), size=24, fill=MUTED)
    c.rule()
    # The policies.
    c.text(_("Policy details"), size=32, bold=True, fill=BRAND)
    for p in policies:
        badge = " · " + _("Sold by others (custody)") if p["sold_by_others"] else ""
        c.text(f"{p['insured']} · {p['product']}{badge}", size=26, bold=True, gap=2)
        c.text(
            " · ".join(
                (
                    p["insurer"],
                    _("policy no. %(number)s") % {"number": p["number"]},
                    p["status_label"],
                    _("sum assured %(amount)s")
                    % {"amount": money_text(Decimal(p["sum_assured"]), p["currency"], short=True)},
                    _("premium %(amount)s/%(frequency)s")
                    % {
                        "amount": money_text(Decimal(p["premium"]), p["currency"]),
                        "frequency": p["frequency_label"],
                    },
                )
            ),
            size=22,
            fill=MUTED,
            gap=2,
        )
        dates = policy_dates(p)
        if dates:
            c.text(" · ".join(dates), size=22, fill=MUTED, gap=2)
        c.y += 12
    c.rule()
    agent = data["agent"]
    contact = " · ".join(x for x in (agent["phone"], agent["email"]) if x)
    c.text(
        _("Your adviser: %(name)s") % {"name": agent["name"]} + (f"  {contact}" if contact else ""),
        size=24,
        bold=True,
    )
    c.text(
        _("Prepared on %(date)s") % {"date": day_text(data["prepared_on"])} + " · " + disclaimer(),
        size=20,
        fill=MUTED,
    )
    return png_bytes(c.finish())


def premium_line(totals: dict[str, Any]) -> str:
    """家庭年缴保费合计 ¥30,500，占家庭收入 4.4%."""
    text = _("Household yearly premiums: %(premium)s") % {
        "premium": money_text(Decimal(totals["premium"]), "CNY")
    }
    if totals["premium_share"]:
        text += " · " + _("%(share)s%% of the household's income") % {
            "share": totals["premium_share"]
        }
    return text


def policy_dates(p: dict[str, Any]) -> list[str]:
    """A policy's dates to come: the next premium, payouts, the end of cover, a rider's expiry."""
    dates = []
    if p["next_due"]:
        dates.append(_("next premium %(date)s") % {"date": day_text(p["next_due"])})
    if p["next_payout"]:
        dates.append(_("payouts from %(date)s") % {"date": day_text(p["next_payout"])})
    if p["coverage_end"]:
        dates.append(_("cover ends %(date)s") % {"date": day_text(p["coverage_end"])})
    if p["next_rider_expiry"]:
        dates.append(_("rider expires %(date)s") % {"date": day_text(p["next_rider_expiry"])})
    return dates


def png_bytes(image: Image.Image) -> bytes:
    """`image` as a PNG of at most 256 colours: a page of text in eight inks and their
    anti-aliased edges loses nothing visible, the file is a third of the size (WeChat sends
    it quicker) and zlib has a third of the bytes to compress, which pays for the quantizing.
    The fastest zlib level: twice as quick as the default for a file a few % larger."""
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(out, "PNG", compress_level=1)
    return out.getvalue()
