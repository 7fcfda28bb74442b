"""Greeting cards (贺卡): a card image per touch with a greeting, its design drawn in code by
occasion (no third-party artwork), with the client's 称呼 and the greeting the dashboard
would send (touches.greetings), never an ID or a policy number."""

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageDraw

from .render.fonts import drawable, pil_font
from .render.image import wrap

WIDTH, HEIGHT = 750, 1000
# Touch kinds that get a card: the greetings of the deck's warm occasions.
CARD_KINDS = frozenset(
    {
        "birthday",
        "family_birthday",
        "wedding_anniversary",
        "custom_date",
        "festival",
        "policy_anniversary",
        # The invitation to a client appreciation event (events.occasions).
        "event_invite",
    }
)


@dataclass(frozen=True)
class Design:
    title: str
    background: tuple[int, int, int]
    accent: tuple[int, int, int]
    ink: tuple[int, int, int]
    motif: str


DESIGNS = {
    "birthday": Design("生日快乐", (255, 244, 232), (232, 93, 74), (92, 42, 30), "cake"),
    "family_birthday": Design("生日快乐", (255, 244, 232), (232, 93, 74), (92, 42, 30), "cake"),
    "wedding_anniversary": Design(
        "结婚纪念日快乐", (253, 236, 242), (214, 51, 108), (96, 20, 50), "hearts"
    ),
    "custom_date": Design("纪念日快乐", (237, 246, 240), (46, 139, 87), (24, 70, 45), "flowers"),
    "policy_anniversary": Design(
        "保单周年 感谢同行", (234, 242, 252), (13, 94, 175), (16, 45, 84), "shield"
    ),
    "event_invite": Design("敬请光临", (255, 247, 232), (191, 120, 30), (92, 52, 12), "flowers"),
    "festival": Design("节日快乐", (253, 238, 236), (200, 30, 30), (110, 20, 20), "lanterns"),
}
# Festivals with a motif of their own.
FESTIVAL_MOTIFS = {
    "mid_autumn": "moon",
    "spring_festival": "lanterns",
    "new_years_eve": "lanterns",
    "lantern": "lanterns",
    "womens_day": "flowers",
    "mothers_day": "flowers",
    "teachers_day": "flowers",
    "double_ninth": "flowers",
}


def _cake(d: ImageDraw.ImageDraw, dz: Design):
    cx, base = WIDTH // 2, 330
    d.rounded_rectangle((cx - 150, base - 90, cx + 150, base), radius=18, fill=dz.accent)
    d.rounded_rectangle(
        (cx - 110, base - 160, cx + 110, base - 90), radius=14, fill=(255, 200, 150)
    )
    for i in range(5):
        x = cx - 80 + i * 40
        d.rectangle((x - 5, base - 210, x + 5, base - 160), fill=(255, 255, 255), outline=dz.accent)
        d.ellipse((x - 9, base - 238, x + 9, base - 210), fill=(255, 190, 40))
    for i in range(7):
        x = cx - 130 + i * 43
        d.ellipse((x, base - 60, x + 16, base - 44), fill=(255, 255, 255))


def _hearts(d: ImageDraw.ImageDraw, dz: Design):
    def heart(cx, cy, r, fill):
        d.ellipse((cx - r, cy - r, cx, cy), fill=fill)
        d.ellipse((cx, cy - r, cx + r, cy), fill=fill)
        d.polygon([(cx - r, cy - r // 2), (cx + r, cy - r // 2), (cx, cy + r)], fill=fill)

    heart(WIDTH // 2 - 50, 230, 110, dz.accent)
    heart(WIDTH // 2 + 60, 260, 90, (240, 140, 170))


def _flowers(d: ImageDraw.ImageDraw, dz: Design):
    for fx, fy, r in ((260, 220, 60), (470, 200, 75), (370, 320, 50)):
        for k in range(6):
            a = k * math.pi / 3
            px, py = fx + r * math.cos(a), fy + r * math.sin(a)
            d.ellipse((px - r * 0.6, py - r * 0.6, px + r * 0.6, py + r * 0.6), fill=dz.accent)
        d.ellipse((fx - r * 0.5, fy - r * 0.5, fx + r * 0.5, fy + r * 0.5), fill=(255, 214, 90))


def _shield(d: ImageDraw.ImageDraw, dz: Design):
    cx = WIDTH // 2
    d.polygon(
        [(cx - 130, 110), (cx + 130, 110), (cx + 130, 250), (cx, 360), (cx - 130, 250)],
        fill=dz.accent,
    )
    d.line([(cx - 60, 230), (cx - 10, 280), (cx + 70, 180)], fill="white", width=22)


def _lanterns(d: ImageDraw.ImageDraw, dz: Design):
    for x, top in ((220, 90), (WIDTH // 2, 60), (530, 90)):
        d.line((x, 0, x, top), fill=(180, 130, 40), width=4)
        d.rounded_rectangle((x - 30, top, x + 30, top + 14), radius=4, fill=(220, 170, 50))
        d.ellipse((x - 85, top + 10, x + 85, top + 190), fill=dz.accent)
        d.line((x, top + 12, x, top + 188), fill=(240, 90, 70), width=3)
        d.rounded_rectangle((x - 30, top + 186, x + 30, top + 200), radius=4, fill=(220, 170, 50))
        for k in range(5):
            d.line(
                (x - 16 + k * 8, top + 200, x - 16 + k * 8, top + 250), fill=(230, 180, 60), width=3
            )


def _moon(d: ImageDraw.ImageDraw, dz: Design):
    d.ellipse((WIDTH // 2 - 140, 80, WIDTH // 2 + 140, 360), fill=(255, 214, 102))
    for x, y, r in ((290, 170, 18), (430, 260, 24), (350, 300, 12)):
        d.ellipse((x - r, y - r, x + r, y + r), fill=(245, 196, 80))


MOTIFS = {
    "cake": _cake,
    "hearts": _hearts,
    "flowers": _flowers,
    "shield": _shield,
    "lanterns": _lanterns,
    "moon": _moon,
}


def design_for(kind: str, festival: str = "", festival_name: str = "") -> Design:
    design = DESIGNS.get(kind, DESIGNS["custom_date"])
    if kind == "festival":
        motif = FESTIVAL_MOTIFS.get(festival, design.motif)
        title = f"{festival_name}快乐" if festival_name else design.title
        design = Design(title, design.background, design.accent, design.ink, motif)
    return design


def card_png(*, design: Design, address_as: str, greeting: str, agent_name: str) -> bytes:
    """The card: the motif, the title, the 称呼, the greeting and the agent's name."""
    image = Image.new("RGB", (WIDTH, HEIGHT), design.background)
    d = ImageDraw.Draw(image)
    d.rectangle((18, 18, WIDTH - 18, HEIGHT - 18), outline=design.accent, width=6)
    d.rectangle((32, 32, WIDTH - 32, HEIGHT - 32), outline=design.accent, width=2)
    MOTIFS[design.motif](d, design)
    title_font = pil_font(64, True)
    title = drawable(design.title)
    d.text(
        ((WIDTH - title_font.getlength(title)) / 2, 410), title, font=title_font, fill=design.accent
    )
    body = pil_font(34)
    lines = wrap(drawable(greeting), body, WIDTH - 160)[:8]
    # The greeting in the middle of the space between the title and the signature.
    block = len(lines) * 54 + (70 if address_as else 0)
    y = 510 + max(0, (HEIGHT - 140 - 510 - block) // 2)
    if address_as:
        d.text((80, y), drawable(f"{address_as}："), font=pil_font(36, True), fill=design.ink)
        y += 70
    for line in lines:
        d.text((80, y), line, font=body, fill=design.ink)
        y += 54
    sign = drawable(f"—— {agent_name} 敬上")
    sign_font = pil_font(30)
    d.text(
        (WIDTH - 80 - sign_font.getlength(sign), HEIGHT - 110),
        sign,
        font=sign_font,
        fill=design.ink,
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
