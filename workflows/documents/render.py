"""Jinja2 (autoescaped) to HTML, WeasyPrint to PDF; the only files a render reads are the templates and the fonts."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .model import Attendance, Decision, Minutes, Submission
from .text import count, percent, vn_date, vn_datetime

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Debian's fonts-dejavu-core: DejaVu covers Vietnamese (fc-list :lang=vi lists it); fonts-liberation does not.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FAMILY = "Vinhdanh Sans"
FALLBACK = '"DejaVu Sans", "Noto Sans", sans-serif'  # by name through fontconfig when the files are elsewhere
FACES = (  # file, weight, style; faces whose file is missing are left out (Oblique ships in fonts-dejavu-extra)
    ("DejaVuSans.ttf", "normal", "normal"),
    ("DejaVuSans-Bold.ttf", "bold", "normal"),
    ("DejaVuSans-Oblique.ttf", "normal", "italic"),
    ("DejaVuSans-BoldOblique.ttf", "bold", "italic"),
)



def _nfc(value):
    """Every printed text in composed form (NFC), so a name typed decomposed prints, and is found, as one."""
    if isinstance(value, Markup):  # a macro's output, already escaped
        return Markup(unicodedata.normalize("NFC", value))
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,  # every value is text: "<b>x</b>" in a name prints as those eight characters
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=_nfc,
)
_env.filters.update(vn_date=vn_date, vn_datetime=vn_datetime, count=count)
_env.globals.update(percent=percent, Attendance=Attendance)


def font_faces() -> list[dict[str, str]]:
    """The @font-face rules to write: each present DejaVu Sans file, by path, with its name as the local fallback."""
    faces = []
    for file, weight, style in FACES:
        path = FONT_DIR / file
        if path.is_file():
            faces.append({"url": path.as_uri(), "local": path.stem.replace("-", " "), "weight": weight, "style": style})
    return faces


def _fonts_only():
    from weasyprint.urls import URLFetcher

    allowed = {face["url"] for face in font_faces()}

    class FontsOnly(URLFetcher):
        """Fetches the font files and nothing else: no network, no other file, whatever the HTML says."""

        def fetch(self, url, headers=None):
            if url not in allowed:
                raise ValueError(f"documents fetch only their fonts, not {url[:80]!r}")
            return super().fetch(url, headers)

    return FontsOnly(allowed_protocols=("file",))


def _html(template: str, **context) -> str:
    return _env.get_template(template).render(family=FAMILY, fallback=FALLBACK, faces=font_faces(), **context)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # loads Pango through cffi: only when a document is rendered

    return HTML(string=html, url_fetcher=_fonts_only()).write_pdf()


def minutes_html(data: Minutes) -> str:
    return _html("minutes.html", m=data)


def minutes_pdf(data: Minutes) -> bytes:
    """Biên bản kiểm phiếu of the council's meeting, as PDF bytes."""
    return _pdf(minutes_html(data))


def decision_html(data: Decision) -> str:
    return _html("decision.html", d=data)


def decision_pdf(data: Decision) -> bytes:
    """Quyết định with its attached list (danh sách kèm theo), as PDF bytes."""
    return _pdf(decision_html(data))


def submission_html(data: Submission) -> str:
    return _html("submission.html", d=data)


def submission_pdf(data: Submission) -> bytes:
    """Tờ trình with its attached list (danh sách đề nghị), as PDF bytes."""
    return _pdf(submission_html(data))
