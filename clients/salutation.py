"""How an agent addresses a client (称呼): 王总, 李姐, 张老师, 陈先生.

The agent writes it on the client; when it is blank the CRM suggests one from the surname
and gender (王先生, 王女士), and the greetings fall back to the full name when it cannot
(no gender recorded, a name it cannot split).
"""

import re

# Two-character surnames (复姓) common enough to meet in a book of clients; any other name
# is taken to have a one-character surname.
_COMPOUND = """
欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木
南宫 西门 独孤 澹台 万俟 闻人 赫连 申屠 呼延 太史 百里 东郭 拓跋 司空 左丘 第五 梁丘
濮阳 公羊 淳于 单于 仲孙 叔孙 乐正 漆雕 壤驷 公良 谷梁 段干 宰父 微生 羊舌
"""
COMPOUND_SURNAMES = frozenset(_COMPOUND.split())
_HAN = re.compile(r"^[\u3400-\u9fff]+$")
# Suffixes of the suggestion by gender; with no gender recorded there is no suggestion.
HONORIFICS = {"male": "先生", "female": "女士"}


def surname(name: str) -> str:
    """The surname of a Chinese name ("王芳" → "王", "欧阳娜娜" → "欧阳"); the last word of a
    name in Latin letters ("Peter Chan" → "Chan"); "" when there is none to take."""
    name = (name or "").strip()
    if not name:
        return ""
    if _HAN.match(name):
        if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
            return name[:2]
        return name[0] if len(name) >= 2 else ""
    words = name.split()
    return words[-1] if len(words) >= 2 else ""


def suggest_salutation(name: str, gender: str) -> str:
    """王先生 or 王女士 from the surname and gender; "" when either is missing."""
    family = surname(name)
    honorific = HONORIFICS.get(gender or "")
    if not family or not honorific:
        return ""
    return f"{family}{honorific}"


def address_as(*, salutation: str, name: str, gender: str) -> str:
    """What a greeting calls the client: the agent's 称呼, else the suggestion, else the name."""
    return (salutation or "").strip() or suggest_salutation(name, gender) or (name or "").strip()
