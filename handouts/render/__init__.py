"""Server-side rendering of what leaves the system: the review as PDF (fpdf2) and long image
(Pillow), the greeting cards (Pillow). Text is set in Noto Sans CJK SC (fonts.py)."""
