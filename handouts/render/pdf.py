"""The review as an A4 PDF (fpdf2, pure Python), from `review_data`'s dict. Real text in the
embedded Noto Sans SC subset, so it prints sharp and can be searched and copied."""

import copy
import logging
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace, SubsetMap, TTFFont

from agentcrm.core.money import money_text

from ..selectors.review import COVER_LABELS, COVER_TYPES
from .fonts import BOLD_PATH, REGULAR_PATH, drawable
from .image import day_text, wan

STATE_RGB = {
    "none": (192, 57, 43),
    "below": (214, 137, 16),
    "ok": (39, 135, 75),
    "na": (108, 117, 125),
}
# fpdf2 subsets the embedded font with fontTools, which logs every glyph list at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

HEADINGS = FontFace(emphasis="BOLD", fill_color=(232, 241, 251))
STATE_TEXT = {"none": "缺失", "below": "不足", "ok": "已覆盖", "na": "—"}


FAMILY = "noto"
LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE")
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


def _add_fonts(pdf: FPDF) -> None:
    """Regular and bold into `pdf` from the prototypes: the widths and glyph ids shared, the
    font file opened afresh (lazily: cheap), since the output subsets it in place."""
    for style, path in (("", REGULAR_PATH), ("B", BOLD_PATH)):
        font = copy.copy(_prototype(style, path))
        font.i = len(pdf.fonts) + 1
        font.ttfont = ttLib.TTFont(str(path), recalcTimestamp=False, lazy=True)
        # fpdf2 sets the text without shaping: the layout tables, large in a CJK font, would
        # only be read and subset for nothing.
        for table in LAYOUT_TABLES:
            if table in font.ttfont:
                del font.ttfont[table]
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
        self.set_title(f"{data['client']['name']} 家庭保单检视")
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
                f"保险顾问 {agent['name']} {contact} · "
                f"制作日期 {day_text(self.data['prepared_on'])} · 第 {self.page_no()} 页"
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
    people, issues, policies, totals = (
        data["people"],
        data["issues"],
        data["policies"],
        data["totals"],
    )
    pdf.line_text("家庭保单检视", size=20, bold=True, rgb=(13, 94, 175), h=11)
    id_part = f" · 证件号 {data['client']['id_number']}" if data["client"]["id_number"] else ""
    pdf.line_text(
        f"{data['client']['name']} 家庭{id_part} · 共 {len(people)} 人 · {len(policies)} 份保单",
        size=11,
    )
    pdf.ln(3)
    # Cover per person against the needs.
    pdf.line_text("一、保障一览（保额 / 需求）", size=13, bold=True, h=8)
    pdf.set_font("noto", "", 8.5)
    with pdf.table(
        col_widths=(30, *(25,) * len(COVER_TYPES)),
        text_align="CENTER",
        line_height=4.6,
        first_row_as_headings=True,
        headings_style=HEADINGS,
    ) as table:
        head = table.row()
        head.cell("家庭成员")
        for kind in COVER_TYPES:
            head.cell(str(COVER_LABELS[kind]))
        for person in people:
            row = table.row()
            age = f"{person['age']}岁" if person["age"] is not None else ""
            row.cell(drawable(f"{person['name']}\n{person['relation_label']} {age}"))
            for kind in COVER_TYPES:
                cover = person["cover"][kind]
                have = wan(cover["sum"]) if cover["count"] else "无"
                need = f"\n需 {wan(cover['need'])}" if cover["need"] else ""
                row.cell(f"{have}{need}\n{STATE_TEXT[cover['state']]}")
    pdf.ln(2)
    share = f"，占家庭收入 {totals['premium_share']}%" if totals["premium_share"] else ""
    pdf.line_text(
        f"家庭年缴保费合计 {money_text(Decimal(totals['premium']), 'CNY')}{share}。"
        "外币保单单列，不计入上表金额。",
        size=9,
        rgb=(108, 117, 125),
    )
    needs = data["needs"]
    pdf.line_text(
        f"需求测算：寿险 {needs['life_years']} 倍年收入；重疾 {needs['ci_years']} 倍年收入"
        f"（至少 {wan(needs['ci_min'])}）；医疗 {wan(needs['medical'])}（1万免赔额的百万医疗）；"
        f"意外 {needs['accident_years']} 倍年收入（至少 {wan(needs['accident_min'])}）；"
        f"教育金每个孩子 {wan(needs['education'])}；保费不超过收入的 {needs['premium_share']}%。",
        size=9,
        rgb=(108, 117, 125),
    )
    pdf.ln(3)
    # The issue list.
    pdf.line_text(f"二、问题清单（{len(issues)}项）", size=13, bold=True, h=8, rgb=(192, 57, 43))
    if not issues:
        pdf.line_text("本次检视未发现问题。", size=10)
    for i, issue in enumerate(issues, 1):
        pdf.line_text(f"{i}. {issue['text']}", size=10, h=6)
    pdf.ln(3)
    # The policies.
    pdf.line_text("三、保单明细", size=13, bold=True, h=8)
    pdf.set_font("noto", "", 8)
    with pdf.table(
        col_widths=(18, 40, 30, 16, 22, 24, 30),
        line_height=4.2,
        first_row_as_headings=True,
        headings_style=HEADINGS,
    ) as table:
        head = table.row()
        for title in ("被保险人", "产品 / 保险公司", "保单号", "状态", "保额", "保费", "重要日期"):
            head.cell(title)
        for p in policies:
            row = table.row()
            row.cell(drawable(p["insured"]))
            badge = "\n他人所售（托管）" if p["sold_by_others"] else ""
            row.cell(drawable(f"{p['product']}\n{p['insurer']}{badge}"))
            row.cell(p["number"])
            row.cell(p["status_label"])
            row.cell(money_text(Decimal(p["sum_assured"]), p["currency"], short=True))
            row.cell(f"{money_text(Decimal(p['premium']), p['currency'])}\n{p['frequency_label']}")
            dates = []
            if p["next_due"]:
                dates.append(f"缴费 {day_text(p['next_due'])}")
            if p["next_payout"]:
                dates.append(f"领取 {day_text(p['next_payout'])}")
            if p["coverage_end"]:
                dates.append(f"满期 {day_text(p['coverage_end'])}")
            if p["next_rider_expiry"]:
                dates.append(f"附加险到期 {day_text(p['next_rider_expiry'])}")
            row.cell("\n".join(dates) or "—")
    pdf.ln(4)
    pdf.line_text(
        "本检视依据顾问记录的保单信息，具体以保险合同为准。证件号、保单号已隐去部分数字。",
        size=8,
        rgb=(108, 117, 125),
    )
    return bytes(pdf.output())
