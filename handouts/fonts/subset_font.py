"""How the vendored fonts were made (run by hand; the app only reads the results).

    npm pack @expo-google-fonts/noto-sans-sc@0.4.3
    tar xzf expo-google-fonts-noto-sans-sc-0.4.3.tgz
    .venv/bin/python handouts/fonts/subset_font.py package/400Regular/NotoSansSC_400Regular.ttf \
        package/700Bold/NotoSansSC_700Bold.ttf

Keeps every GBK hanzi, ASCII, Latin-1, general and CJK punctuation and the full-width forms,
with all layout features and names (the OFL travels with the font: OFL.txt).
"""

import sys
from pathlib import Path

from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent


def charset() -> set[int]:
    cps = set(range(0x20, 0x7F)) | set(range(0xA0, 0x180)) | set(range(0x2000, 0x2070))
    cps |= set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0)) | {0x20AC, 0x2116, 0x2103}
    for cp in range(0x4E00, 0xA000):
        try:
            chr(cp).encode("gbk")
        except UnicodeEncodeError:
            continue
        cps.add(cp)
    return cps


def main(regular: str, bold: str) -> None:
    for src, name in ((regular, "Regular"), (bold, "Bold")):
        font = TTFont(src)
        options = Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.notdef_outline = True
        options.hinting = False
        subsetter = Subsetter(options)
        subsetter.populate(unicodes=charset())
        subsetter.subset(font)
        font.save(HERE / f"NotoSansSC-{name}-subset.ttf")


if __name__ == "__main__":
    main(*sys.argv[1:3])
