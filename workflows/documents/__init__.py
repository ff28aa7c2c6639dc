"""Official documents as PDF, pure: frozen data in, PDF bytes out; no database, no web request.

- :func:`minutes_pdf` renders the council's vote-count minutes (biên bản kiểm phiếu) from :class:`Minutes`.
- :func:`decision_pdf` renders an award decision (quyết định) with its attached list from :class:`Decision`.
- :func:`submission_pdf` renders a submission (tờ trình) to the authority above with its list from :class:`Submission`.

Jinja2 HTML templates (autoescaped: every user text is printed as text) are laid out by WeasyPrint
(Pango/HarfBuzz, which places Vietnamese stacked diacritics correctly) in DejaVu Sans, loaded from
Debian's ``fonts-dejavu-core`` (``tools/ensure-pdf-libs.sh`` installs it with Pango). Rendering fetches
nothing but those font files.

May import only the standard library, Jinja2, WeasyPrint and ``workflows.domain``; nothing else of
``workflows`` but ``caches``.
"""

from .model import Attendance, Awardee, Decision, DossierTally, Member, Minutes, Signer, Submission
from .render import decision_html, decision_pdf, minutes_html, minutes_pdf, submission_html, submission_pdf
from .text import percent, vn_date, vn_datetime

__all__ = [
    "Attendance", "Awardee", "Decision", "DossierTally", "Member", "Minutes", "Signer", "Submission",
    "decision_html", "decision_pdf", "minutes_html", "minutes_pdf", "percent", "submission_html", "submission_pdf",
    "vn_date", "vn_datetime",
]
