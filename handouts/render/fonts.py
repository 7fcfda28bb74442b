"""The one font of the handouts: Noto Sans SC (SIL Open Font License 1.1, fonts/OFL.txt),
Regular and Bold, vendored in handouts/fonts/ as subsets to the GBK characters (21,640
code points: every GBK hanzi, ASCII, Latin-1, general and CJK punctuation, full-width forms)
by fonts/subset_font.py from the static TTFs of the npm package
@expo-google-fonts/noto-sans-sc 0.4.3. The files are in the repository, so a fresh checkout
renders Chinese with no system font and no network. Pillow draws the images with them,
fpdf2 embeds them (subset again) in the PDF."""

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
REGULAR_PATH = FONT_DIR / "NotoSansSC-Regular-subset.ttf"
BOLD_PATH = FONT_DIR / "NotoSansSC-Bold-subset.ttf"
# A character the font lacks is drawn as this instead of a tofu box.
REPLACEMENT = "□"


@lru_cache(maxsize=64)
def pil_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD_PATH if bold else REGULAR_PATH), size)


@lru_cache(maxsize=1)
def covered_codepoints() -> frozenset[int]:
    """Every character the font has a glyph for (its best cmap; both weights share it)."""
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(REGULAR_PATH), lazy=True).getBestCmap())


def missing_glyphs(text: str) -> set[str]:
    """The characters of `text` the font cannot draw (they would show as tofu boxes)."""
    covered = covered_codepoints()
    return {ch for ch in text if not ch.isspace() and ord(ch) not in covered}


def drawable(text: str) -> str:
    """`text` with any character the font lacks (a rare name character outside GBK) shown
    as a visible □ rather than an empty box of unknown meaning."""
    missing = missing_glyphs(text)
    return "".join(REPLACEMENT if ch in missing else ch for ch in text) if missing else text
