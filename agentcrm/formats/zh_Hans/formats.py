"""Simplified Chinese dates as people write them: 1月3日, 2026年1月3日, never 01月03日.

Every display format is set here, so none falls back to Django's zh_Hans module (whose
MONTH_DAY_FORMAT is "m月j日": 01月3日). The input formats are Python strptime formats;
Django's list has "%n" and "%j" in it, which strptime reads as whitespace and the day of
the year, so a typed "2026年1月3日" was refused.
"""

DATE_FORMAT = "Y年n月j日"  # 2026年1月3日
SHORT_DATE_FORMAT = "Y年n月j日"  # 2026年1月3日
MONTH_DAY_FORMAT = "n月j日"  # 1月3日
YEAR_MONTH_FORMAT = "Y年n月"  # 2026年1月
TIME_FORMAT = "H:i"  # 09:05
DATETIME_FORMAT = "Y年n月j日 H:i"  # 2026年1月3日 09:05
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"  # 2026年1月3日 09:05
FIRST_DAY_OF_WEEK = 1  # 星期一

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-01-03, what <input type="date"> sends
    "%Y/%m/%d",  # 2026/1/3
    "%Y年%m月%d日",  # 2026年1月3日
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
]
