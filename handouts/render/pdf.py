"""The review as an A4 PDF (fpdf2, pure Python), from `review_data`'s dict. Real text in the
embedded Noto Sans SC subset, so it prints sharp and can be searched and copied."""

import copy
import logging
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace, SubsetMap, TTFFont

from agentcrm.core.money import money_text

from ..selectors.review import COVER_LABELS, COVER_TYPES
from .fonts import BOLD_PATH, REGULAR_PATH, drawable
from .image import (
    age_text,
    cover_text,
    day_text,
    disclaimer,
    household_line,
    policy_dates,
    premium_line,
    wan,
)

STATE_RGB = {
    "none": (192, 57, 43),
    "below": (214, 137, 16),
    "ok": (39, 135, 75),
    "na": (108, 117, 125),
}
# fpdf2 subsets the embedded font with fontTools, which logs every glyph list at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

HEADINGS = FontFace(emphasis="BOLD", fill_color=(232, 241, 251))
STATE_TEXT = {
    "none": gettext_lazy("missing"),
    "below": gettext_lazy("below the need"),
    "ok": gettext_lazy("covered"),
    "na": "—",
}


FAMILY = "noto"
# fpdf2 sets the text horizontally without shaping: the layout and vertical tables, large in
# a CJK font, would only be read and subset for nothing.
UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "STAT")
_prototypes: dict[str, TTFFont] = {}
_lock = threading.Lock()


def _prototype(style: str, path: Path) -> TTFFont:
    """The font parsed once per process: fpdf2's add_font reads every glyph's width of the
    21,640-character font (about 0.6 s a weight), which every PDF would otherwise repeat."""
    with _lock:
        if style not in _prototypes:
            scratch = FPDF()
            scratch.add_font(FAMILY, style, str(path))
            _prototypes[style] = scratch.fonts[f"{FAMILY}{style}"]
        return _prototypes[style]


def _fresh_ttfont(style: str, path: Path) -> ttLib.TTFont:
    """The font file opened afresh for one PDF (fpdf2 subsets it in place at output), primed
    with what the prototype already parsed: the glyph order (which this font, with no glyph
    names in `post`, would rebuild from its 21,640-entry cmap) and the horizontal metrics.
    Those two were most of the subsetting's cost, paid again by every PDF."""
    parsed = _prototype(style, path).ttfont
    ttfont = ttLib.TTFont(str(path), recalcTimestamp=False, lazy=True)
    for table in UNUSED_TABLES:
        if table in ttfont:
            del ttfont[table]
    ttfont.setGlyphOrder(list(parsed.getGlyphOrder()))
    hmtx = ttLib.newTable("hmtx")
    # The subsetter replaces `metrics` with a new dict (never changes this one); a copy all
    # the same, as a PDF may be drawn on another thread.
    hmtx.metrics = dict(parsed["hmtx"].metrics)
    ttfont["hmtx"] = hmtx
    return ttfont


def _add_fonts(pdf: FPDF) -> None:
    """Regular and bold into `pdf` from the prototypes: the widths and glyph ids shared, the
    font file opened afresh (lazily: cheap), since the output subsets it in place."""
    for style, path in (("", REGULAR_PATH), ("B", BOLD_PATH)):
        font = copy.copy(_prototype(style, path))
        font.i = len(pdf.fonts) + 1
        font.ttfont = _fresh_ttfont(style, path)
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        pdf.fonts[font.fontkey] = font


class ReviewPDF(FPDF):
    def __init__(self, data: dict[str, Any]):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.data = data
        _add_fonts(self)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.set_title(_("Household policy review: %(name)s") % {"name": data["client"]["name"]})
        self.set_author(data["agent"]["name"])
        self.set_creator("AgentCRM")

    def footer(self):
        self.set_y(-13)
        self.set_font("noto", "", 8)
        self.set_text_color(108, 117, 125)
        agent = self.data["agent"]
        contact = " ".join(x for x in (agent["phone"], agent["email"]) if x)
        self.cell(
            0,
            5,
            drawable(
                " · ".join(
                    (
                        _("Your adviser: %(name)s") % {"name": agent["name"]}
                        + (f" {contact}" if contact else ""),
                        _("Prepared on %(date)s") % {"date": day_text(self.data["prepared_on"])},
                        _("page %(page)s") % {"page": self.page_no()},
                    )
                )
            ),
            align="C",
        )

    def line_text(self, text, size=10, bold=False, rgb=(33, 37, 41), h=None):
        self.set_font("noto", "B" if bold else "", size)
        self.set_text_color(*rgb)
        self.multi_cell(
            0,
            h or size * 0.55,
            drawable(str(text)),
            wrapmode=WrapMode.CHAR,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )


def review_pdf(data: dict[str, Any]) -> bytes:
    pdf = ReviewPDF(data)
    pdf.add_page()
    issues, policies, totals = data["issues"], data["policies"], data["totals"]
    pdf.line_text(_("Household policy review"), size=20, bold=True, rgb=(13, 94, 175), h=11)
    line = household_line(data)
    if data["client"]["id_number"]:
        line += " · " + _("ID number %(number)s") % {"number": data["client"]["id_number"]}
    pdf.line_text(line, size=11)
    pdf.ln(3)
    # Cover per person against the needs.
    pdf.line_text(_("1. Cover at a glance (sum assured / need)"), size=13, bold=True, h=8)
    pdf.set_font("noto", "", 8.5)
    with pdf.table(
        col_widths=(30, *(25,) * len(COVER_TYPES)),
        text_align="CENTER",
        line_height=4.6,
        first_row_as_headings=True,
        headings_style=HEADINGS,
    ) as table:
        head = table.row()
        head.cell(_("Family member"))
        for kind in COVER_TYPES:
            head.cell(str(COVER_LABELS[kind]))
        for person in data["people"]:
            row = table.row()
            row.cell(
                drawable(f"{person['name']}\n{person['relation_label']} {age_text(person['age'])}")
            )
            for kind in COVER_TYPES:
                cover = person["cover"][kind]
                row.cell(cover_text(cover, "\n") + "\n" + str(STATE_TEXT[cover["state"]]))
    pdf.ln(2)
    pdf.line_text(
        premium_line(totals)
        + " · "
        + _("Amounts in renminbi; policies in another currency are listed but not added in."),
        size=9,
        rgb=(108, 117, 125),
    )
    needs = data["needs"]
    pdf.line_text(
        _(
            "Needs measured: life %(life)s years of income; critical illness %(ci)s years of "
            "income (at least %(ci_min)s); medical %(medical)s (a million-cover plan with a "
            "¥10,000 deductible); accident %(accident)s years of income (at least "
            "%(accident_min)s); education %(education)s a child; premiums at most %(share)s%% "
            "of income."
        )
        % {
            "life": needs["life_years"],
            "ci": needs["ci_years"],
            "ci_min": wan(needs["ci_min"]),
            "medical": wan(needs["medical"]),
            "accident": needs["accident_years"],
            "accident_min": wan(needs["accident_min"]),
            "education": wan(needs["education"]),
            "share": needs["premium_share"],
        },
        size=9,
        rgb=(108, 117, 125),
    )
    pdf.ln(3)
    # The issue list.
    pdf.line_text(
        _("2. Issue list (%(count)s)") % {"count": len(issues)},
        size=13,
        bold=True,
        h=8,
        rgb=(192, 57, 43),
    )
    if not issues:
        pdf.line_text(_("No issues found."), size=10)
    for i, issue in enumerate(issues, 1):
        pdf.line_text(f"{i}. {issue['text']}", size=10, h=6)
    pdf.ln(3)
    # The policies.
    pdf.line_text(_("3. Policy details"), size=13, bold=True, h=8)
    pdf.set_font("noto", "", 8)
    with pdf.table(
        col_widths=(18, 40, 30, 16, 22, 24, 30),
        line_height=4.2,
        first_row_as_headings=True,
        headings_style=HEADINGS,
    ) as table:
        head = table.row()
        for title in (
            _("Insured"),
            _("Product / insurer"),
            _("Policy number"),
            _("Status"),
            _("Sum assured"),
            _("Premium"),
            _("Key dates"),
        ):
            head.cell(title)
        for p in policies:
            row = table.row()
            row.cell(drawable(p["insured"]))
            badge = "\n" + _("Sold by others (custody)") if p["sold_by_others"] else ""
            row.cell(drawable(f"{p['product']}\n{p['insurer']}{badge}"))
            row.cell(p["number"])
            row.cell(p["status_label"])
            row.cell(money_text(Decimal(p["sum_assured"]), p["currency"], short=True))
            row.cell(f"{money_text(Decimal(p['premium']), p['currency'])}\n{p['frequency_label']}")
            row.cell("\n".join(policy_dates(p)) or "—")
    pdf.ln(4)
    pdf.line_text(disclaimer(), size=8, rgb=(108, 117, 125))
    return bytes(pdf.output())
