"""The review as a phone-width long image (750 px, the width WeChat shows without scaling),
drawn with Pillow from `review_data`'s dict."""

import io
from datetime import date
from decimal import Decimal
from typing import Any

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
    if not iso:
        return "—"
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


def wrap(text: str, font, width: int) -> list[str]:
    """Lines of `text` no wider than `width`, broken between characters (Chinese has no
    spaces to break at)."""
    lines, line = [], ""
    for ch in text:
        if font.getlength(line + ch) > width and line:
            lines.append(line)
            line = ch
        else:
            line += ch
    if line:
        lines.append(line)
    return lines or [""]


class Canvas:
    """A tall page drawn top to bottom; `finish` crops it to what was drawn."""

    def __init__(self, height: int):
        self.image = Image.new("RGB", (WIDTH, height), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.y = 0

    def text(self, text, *, size=26, bold=False, fill=INK, x=MARGIN, width=None, gap=8):
        font = pil_font(size, bold)
        width = width or WIDTH - x - MARGIN
        for line in wrap(drawable(str(text)), font, width):
            self.draw.text((x, self.y), line, font=font, fill=fill)
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
    c.text("家庭保单检视", size=44, bold=True, fill="white", gap=4)
    c.text(
        f"{data['client']['name']} 家庭 · 共 {len(people)} 人 · {len(policies)} 份保单",
        size=26,
        fill="white",
    )
    c.y = 220
    # Per person: the six covers against the needs.
    c.text("保障一览", size=32, bold=True, fill=BRAND)
    for person in people:
        c.draw.rounded_rectangle(
            (MARGIN - 12, c.y - 6, WIDTH - MARGIN + 12, c.y + 52), radius=10, fill=LIGHT
        )
        age = f" · {person['age']}岁" if person["age"] is not None else ""
        c.text(f"{person['name']}（{person['relation_label']}{age}）", size=30, bold=True, gap=18)
        half = (WIDTH - 2 * MARGIN) // 2
        top = c.y
        for i, kind in enumerate(COVER_TYPES):
            cover = person["cover"][kind]
            x = MARGIN + (i % 2) * half
            c.y = top + (i // 2) * 76
            colour = STATE_COLOURS[cover["state"]]
            c.draw.ellipse((x, c.y + 10, x + 14, c.y + 24), fill=colour)
            c.text(str(COVER_LABELS[kind]), size=24, x=x + 24, width=half - 30, gap=0)
            need = f" / 需 {wan(cover['need'])}" if cover["need"] else ""
            have = wan(cover["sum"]) if cover["count"] else "无"
            c.text(
                f"{have}{need}", size=24, bold=True, fill=colour, x=x + 24, width=half - 30, gap=0
            )
        c.y = top + 3 * 76 + 6
        extra = f"年缴保费 {money_text(Decimal(person['premium']), 'CNY')}"
        if person["foreign"]:
            extra += f" · 另有外币保单 {person['foreign']} 份（未计入上述金额）"
        c.text(extra, size=22, fill=MUTED)
        c.rule()
    # The issue list.
    c.text(f"问题清单（{len(issues)}项）", size=32, bold=True, fill=RED)
    if not issues:
        c.text("本次检视未发现问题。", size=26, fill=GREEN)
    for i, issue in enumerate(issues, 1):
        c.text(f"{i}. {issue['text']}", size=26, gap=10)
    totals = data["totals"]
    share = f"，占家庭收入 {totals['premium_share']}%" if totals["premium_share"] else ""
    c.text(
        f"家庭年缴保费合计 {money_text(Decimal(totals['premium']), 'CNY')}{share}",
        size=24,
        fill=MUTED,
    )
    c.rule()
    # The policies.
    c.text("保单明细", size=32, bold=True, fill=BRAND)
    for p in policies:
        badge = "（他人所售·托管）" if p["sold_by_others"] else ""
        c.text(f"{p['insured']} · {p['product']}{badge}", size=26, bold=True, gap=2)
        c.text(
            f"{p['insurer']} · 保单号 {p['number']} · {p['status_label']} · "
            f"保额 {money_text(Decimal(p['sum_assured']), p['currency'], short=True)} · "
            f"保费 {money_text(Decimal(p['premium']), p['currency'])}/{p['frequency_label']}",
            size=22,
            fill=MUTED,
            gap=2,
        )
        dates = [f"下次缴费 {day_text(p['next_due'])}"] if p["next_due"] else []
        if p["next_payout"]:
            dates.append(f"待领保险金 {day_text(p['next_payout'])}起")
        if p["coverage_end"]:
            dates.append(f"满期 {day_text(p['coverage_end'])}")
        if p["next_rider_expiry"]:
            dates.append(f"附加险到期 {day_text(p['next_rider_expiry'])}")
        if dates:
            c.text(" · ".join(dates), size=22, fill=MUTED, gap=2)
        c.y += 12
    c.rule()
    agent = data["agent"]
    contact = " · ".join(x for x in (agent["phone"], agent["email"]) if x)
    c.text(f"您的保险顾问：{agent['name']}{'  ' + contact if contact else ''}", size=24, bold=True)
    c.text(
        f"制作日期：{day_text(data['prepared_on'])} · 本检视依据顾问记录的保单信息，"
        "以保险合同为准。证件号、保单号已隐去部分数字。",
        size=20,
        fill=MUTED,
    )
    out = io.BytesIO()
    # The fastest zlib level: twice as quick as the default for a file a few % larger.
    c.finish().save(out, "PNG", compress_level=1)
    return out.getvalue()
