"""The subject-access PDF: compiled from the reviewed snapshot, rendered by WeasyPrint, protected
by pikepdf (qpdf).

- Redactions are made in the text *before* it reaches the HTML: each redacted passage is replaced
  by a black bar that names its exemption, so the passage is absent from the PDF, not hidden.
- Withheld items appear as a line saying so, with the exemption, unless withheld silently (then
  they are not in the PDF at all; the decision stays on the internal record).
- WeasyPrint fetches nothing but our own static files and ``data:`` URIs (``SafeFetcher``):
  anything else — ``file://``, ``http(s)://``, redirects — stops the render with an error.
- ``pdf_variant="pdf/ua-1"``: a tagged, accessible PDF; the AES-256 password (qpdf, through
  pikepdf) keeps the structure tree, the metadata and the text.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import io
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.dates import long_date
from records import body_map, retention
from records import policy as records_policy
from records.models import Attachment, Setting

from .attachments import UnreadableAttachment, without_metadata
from .compile import searches_note_for
from .models import (
    BundleItem,
    Decision,
    Exemption,
    ItemKind,
    MentionDecision,
    Redaction,
    SubjectAccessRequest,
    ThirdPartyMention,
)
from .third_parties import widened, word_spans

STATIC_SCHEME = "confide-static"
THIRD_PARTY_LABEL = str(Exemption.THIRD_PARTY.label)


class RenderError(Exception):
    """The bundle could not be rendered; the message is safe to show to staff."""


# --- the URL fetcher -----------------------------------------------------------------------------


def _static_roots() -> list[Path]:
    roots = [Path(p).resolve() for p in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def _make_fetcher() -> Any:
    # WeasyPrint (and Pango under it) loads only where a PDF is made: the render worker.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeFetcher(URLFetcher):
        """Serves ``confide-static:<path>`` from our static directories and ``data:`` URIs;
        refuses everything else. With ``fail_on_errors`` a refusal stops the render."""

        def __init__(self) -> None:
            super().__init__(
                allowed_protocols=("data", STATIC_SCHEME),
                allow_redirects=False,
                fail_on_errors=True,
            )

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return URLFetcherResponse(url, *_decode_data_uri(url))
            if scheme == STATIC_SCHEME:
                return URLFetcherResponse(url, *_read_static(url))
            raise RenderError(f"The PDF may not load {url[:60]!r}: only our own files are used.")

    return SafeFetcher()


def _decode_data_uri(url: str) -> tuple[bytes, dict[str, str]]:
    header, _, payload = url[5:].partition(",")
    parts = header.split(";")
    content_type = parts[0] or "text/plain"
    data = base64.b64decode(payload) if "base64" in parts[1:] else unquote(payload).encode()
    return data, {"Content-Type": content_type}


CONTENT_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".ttf": "font/ttf",
    ".woff2": "font/woff2",
}


def _read_static(url: str) -> tuple[bytes, dict[str, str]]:
    path = unquote(urlsplit(url).path).lstrip("/")
    for root in _static_roots():
        candidate = (root / path).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            content_type = CONTENT_TYPES.get(candidate.suffix.lower(), "application/octet-stream")
            return candidate.read_bytes(), {"Content-Type": content_type}
    raise RenderError(f"The PDF asked for a static file that does not exist: {path[:60]!r}.")


def safe_fetcher() -> Any:
    return _make_fetcher()


# --- what goes into the PDF ----------------------------------------------------------------------


@dataclass
class Segment:
    text: str
    redacted: bool = False
    # For a redacted segment: the exemption(s) relied on, shown on its black bar.
    label: str = ""


@dataclass
class Line:
    """A field of the who-and-when line, given whole or withheld whole."""

    label: str
    value: str
    withheld: str = ""  # the exemption's words, when withheld


@dataclass
class PdfItem:
    number: int
    # Only the first record of each month has an anchor: the index points at those.
    anchor: str
    item: BundleItem
    withheld: bool
    when: str = ""  # the date, as the heading shows it ("3 March 2025")
    title: list[Segment] = field(default_factory=list)
    meta: list[Segment] = field(default_factory=list)
    fields: list[Line] = field(default_factory=list)
    body: list[Segment] = field(default_factory=list)
    image: str = ""
    body_map: str = ""  # a data: URI of the numbered marks, drawn over the figures
    # A PDF attachment disclosed in full travels inside the file, as an embedded file.
    embedded_name: str = ""
    embedded: bytes = b""

    @property
    def title_html(self) -> SafeString:
        return segments_html(self.title)

    @property
    def meta_html(self) -> SafeString:
        """The who-and-when line: the date (and the child), then each field that names a person,
        given or withheld whole."""
        parts = [segments_html(self.meta)] if self.meta else []
        for line in self.fields:
            if line.withheld:
                parts.append(
                    mark_safe(  # noqa: S308 - escaped here
                        f'{escape(line.label)}: <span class="redaction">Withheld: '
                        f"{escape(line.withheld)}</span>"
                    )
                )
            else:
                parts.append(mark_safe(f"{escape(line.label)}: {escape(line.value)}"))  # noqa: S308
        return mark_safe(" · ".join(parts))  # noqa: S308 - each part escaped above

    @property
    def body_html(self) -> SafeString:
        return segments_html(self.body)

    @property
    def multiline(self) -> bool:
        # Only text with line breaks (amendments, lists) is set with white-space: pre-wrap,
        # which costs WeasyPrint more to lay out.
        return any("\n" in s.text for s in self.body)


@dataclass
class IndexMonth:
    """One line of the index: a month of records, from its first record's page."""

    label: str
    anchor: str
    first: int
    last: int
    withheld: int = 0


def segments_html(segments: list[Segment]) -> SafeString:
    """The segments as HTML, each redaction a black bar naming its exemption. Made here rather
    than in the template: the template engine's loops over every segment of 3,000 records took
    longer than the text's own layout."""
    return mark_safe(  # noqa: S308 - every piece is escaped here
        "".join(
            f'<span class="redaction">Redacted: {escape(s.label)}</span>'
            if s.redacted
            else escape(s.text)
            for s in segments
        )
    )


def _record_html(entry: PdfItem) -> str:
    item = entry.item
    anchor = f' id="{entry.anchor}"' if entry.anchor else ""
    # A withheld record is named by its kind: its title may be free text (a consent's purpose).
    title = (
        escape(item.get_kind_display())
        if entry.withheld
        else entry.title_html
        if entry.title
        else escape(item.title)
    )
    heading = f"<h2{anchor}>{entry.number}. {title}, {escape(entry.when)}</h2>"
    if entry.withheld:
        return (
            f'{heading}<p class="withheld">This record is withheld. Exemption: '
            f"{escape(item.exemption_label)}.</p>"
        )
    parts = [heading, f"<p>{entry.meta_html}</p>"]
    parts.append(
        f'<p class="lines">{entry.body_html}</p>'
        if entry.multiline
        else f"<p>{entry.body_html}</p>"
    )
    if entry.body_map:
        parts.append(
            f'<div class="body-map"><img src="{entry.body_map}" alt="Body map, front and back, '
            'with the marks numbered as in the list above"></div>'
        )
    if entry.embedded_name:
        parts.append(
            '<p class="embedded">The document itself is inside this PDF, as the attached file '
            f"“{escape(entry.embedded_name)}”: open your PDF reader's attachments (a paperclip) "
            "to read it.</p>"
        )
    if entry.image:
        alt = escape(f"Attachment: {item.title} ({item.body})")
        parts.append(f'<img class="attachment" src="{entry.image}" alt="{alt}">')
    return "".join(parts)


def records_html(items: list[PdfItem]) -> SafeString:
    """The records part of the file: each record's heading, line of who and when, and text.
    Made here rather than in the template, and as bare as the layout allows — no class on the
    elements every record has (the stylesheet finds them by their place), no white space between
    them: WeasyPrint's HTML parser takes longer over each attribute, and its box builder over
    each run of white space, than over a record's own words."""
    return mark_safe("".join(_record_html(entry) for entry in items))  # noqa: S308 - escaped above


def index_months(items: list[PdfItem]) -> list[IndexMonth]:
    months: list[IndexMonth] = []
    for entry in items:
        if entry.anchor:
            months.append(IndexMonth(entry.when.split(" ", 1)[1], entry.anchor, entry.number, 0))
        months[-1].last = entry.number
        months[-1].withheld += entry.withheld
    return months


def redact(
    text: str, passages: list[tuple[str, str]], words: Sequence[tuple[str, str]] = ()
) -> list[Segment]:
    """The text cut into plain and redacted segments; a redacted segment keeps no text, only the
    label of its exemption. ``passages`` are (passage, label) pairs, found wherever they stand;
    ``words`` are (word, label) pairs naming a third party, found as whole words and widened over
    what would still say who it was beside the bar ("'s mum", "her partner"). Overlapping spans
    are merged into one bar naming each exemption, so no part of a passage survives because
    another passage started inside it."""
    if not text:
        return []
    spans: list[tuple[int, int, str]] = []
    for passage, label in passages:
        if not passage:
            continue
        start = text.find(passage)
        while start != -1:
            spans.append((start, start + len(passage), label))
            start = text.find(passage, start + 1)
    for word, label in words:
        for start, end in word_spans(text, word):
            start, end = widened(text, start, end)
            spans.append((start, end, label))
    # Sorted by start, each span joins the bar before it when they overlap.
    bars: list[tuple[int, int, list[str]]] = []
    for start, end, label in sorted(spans):
        if bars and start < bars[-1][1]:
            bar_start, bar_end, labels = bars[-1]
            bars[-1] = (bar_start, max(bar_end, end), labels)
            if label not in labels:
                labels.append(label)
        else:
            bars.append((start, end, [label]))
    segments: list[Segment] = []
    last = 0
    for start, end, labels in bars:
        if start > last:
            segments.append(Segment(text[last:start]))
        segments.append(Segment("", redacted=True, label="; ".join(labels)))
        last = end
    if last < len(text):
        segments.append(Segment(text[last:]))
    return segments


def _attachment_content(item: BundleItem) -> bytes:
    """The attachment's bytes, as they were when the bundle was compiled."""
    assert item.attachment is not None
    content = Attachment.objects.get(pk=item.attachment.pk).content
    if hashlib.sha256(content).hexdigest() != item.attachment_sha256:
        raise RenderError("An attachment changed after the bundle was compiled: compile again.")
    return content


def _released_content(item: BundleItem) -> bytes:
    """The attachment as it leaves: its content without the metadata it carries."""
    assert item.attachment is not None
    try:
        return without_metadata(_attachment_content(item), item.attachment.content_type)
    except UnreadableAttachment as exc:
        raise RenderError(str(exc)) from exc


def _image_uri(item: BundleItem) -> str:
    attachment = item.attachment
    if attachment is None or attachment.content_type not in ("image/png", "image/jpeg"):
        return ""
    content = _released_content(item)
    return f"data:{attachment.content_type};base64,{base64.b64encode(content).decode()}"


def _embeddable(item: BundleItem) -> bool:
    """A PDF attachment goes inside the file when disclosed (attachments are disclosed or
    withheld whole)."""
    return (
        item.attachment is not None
        and item.attachment.content_type == "application/pdf"
        and item.decision == Decision.DISCLOSE
    )


def _body_map_uri(stored: list[dict[str, Any]]) -> str:
    """The body map's numbered dots (the notes are in the text), to lie over the figures,
    which the stylesheet draws once for every map (body_map.figures_png)."""
    svg = body_map.marks_svg(body_map.marks_of(stored))
    return f"data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}"


def pdf_items(sar: SubjectAccessRequest) -> list[PdfItem]:
    out: list[PdfItem] = []
    items = (
        sar.items.exclude(silent=True)
        .select_related("attachment")
        .order_by("occurred_at", "kind", "id")
    )
    # The passages of the items being redacted, in one query, by item (a prefetch would build a
    # queryset per item); any other item has none here.
    passages_of: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    for r in Redaction.objects.filter(item__request=sar, item__decision=Decision.REDACT):
        passages_of[r.item_id].append((r.passage, r.exemption_label))
    # The third parties the reviewer redacted: their words wherever they stand, or the whole
    # field that names them.
    words_of: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    fields_withheld: dict[Any, set[str]] = defaultdict(set)
    for m in ThirdPartyMention.objects.filter(
        item__request=sar, decision=MentionDecision.REDACT
    ).only("item_id", "field", "words"):
        if m.field:
            fields_withheld[m.item_id].add(m.field)
        else:
            words_of[m.item_id] += [(w, THIRD_PARTY_LABEL) for w in m.words]
    month = None
    for n, item in enumerate(items, start=1):
        withheld = item.decision == Decision.WITHHOLD
        passages = passages_of.get(item.pk, [])
        day = timezone.localtime(item.occurred_at)
        first_of_month = (day.year, day.month) != month
        month = (day.year, day.month)
        entry = PdfItem(
            number=n,
            anchor=f"month-{day:%Y-%m}" if first_of_month else "",
            item=item,
            withheld=withheld,
            when=long_date(day),
        )
        if not withheld:
            words = words_of.get(item.pk, [])
            entry.title = redact(item.title, passages, words)
            entry.meta = redact(item.meta, passages, words)
            entry.fields = [
                Line(
                    f["label"],
                    f["value"],
                    THIRD_PARTY_LABEL if f["key"] in fields_withheld.get(item.pk, ()) else "",
                )
                for f in item.fields
            ]
            entry.body = redact(item.body, passages, words)
            if item.kind == ItemKind.ATTACHMENT:
                entry.image = _image_uri(item)
                if item.attachment is not None and _embeddable(item):
                    entry.embedded = _released_content(item)
                    entry.embedded_name = f"{n:03d}-{_safe_filename(item.attachment.filename)}"
            if item.body_map:
                entry.body_map = _body_map_uri(item.body_map)
        out.append(entry)
    return out


def bundle_html(sar: SubjectAccessRequest, items: list[PdfItem] | None = None) -> str:
    if items is None:
        items = pdf_items(sar)
    children = list(sar.children.all())
    return render_to_string(
        "access_requests/pdf/bundle.html",
        {
            "sar": sar,
            "setting": Setting.current(),
            "lead": records_policy.the_lead(),
            "items": items,
            "months": index_months(items),
            "children": children,
            "carers": list(sar.carers.all()),
            "today": timezone.localdate(),
            "withheld_count": sum(1 for i in items if i.withheld),
            "redacted_count": sum(1 for i in items if i.item.decision == Decision.REDACT),
            "records": records_html(items),
            "searches": searches_note_for(sar),
            # How long it is kept: the schedule's lines, and each child's file's own date.
            "retention_rules": retention.rules(),
            "files_kept": [(child, retention.keep_child_file(child)) for child in children],
            # The privacy notice's text (includes/privacy_notice_body.html), as in the file.
            "in_the_file": True,
            "css": (Path(__file__).parent / "pdf.css").read_text(),
            # The figures behind every body map, given only when one is drawn.
            "figures_png": (
                base64.b64encode(body_map.figures_png()).decode()
                if any(i.body_map for i in items)
                else ""
            ),
        },
    )


def _safe_filename(name: str) -> str:
    """An attachment's name, as a plain file name (no folders, no control characters)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip() or "attachment.pdf"
    return name if name.lower().endswith(".pdf") else name + ".pdf"


def _memoise_page_references() -> None:
    """pydyf (0.13) rebuilds the list of every page's reference each time one is asked for, and
    WeasyPrint's PDF/UA tagging asks once per tagged element: quadratic, 8 of the 21 s that a
    500-page bundle took to write. The pages only ever grow, so the list is kept until their
    number changes. Same values, same PDF; done once per process."""
    # pydyf comes with WeasyPrint, loaded only where a PDF is made.
    import pydyf

    if getattr(pydyf.PDF, "_confide_memoised", False):
        return

    def page_references(self: Any) -> tuple[bytes, ...]:
        kids = self.pages["Kids"]
        cached = self.__dict__.get("_confide_page_references")
        if cached is None or cached[0] != len(kids):
            refs = tuple(f"{number} 0 R".encode("ascii") for number in kids[::3])
            cached = self.__dict__["_confide_page_references"] = (len(kids), refs)
        return cached[1]

    pydyf.PDF.page_references = property(page_references)  # type: ignore[method-assign,assignment]
    pydyf.PDF._confide_memoised = True  # type: ignore[attr-defined]


# Renders that overlap (threads of a development server) share one pause: the collector is back
# on when the last of them ends, and only if it was on when the first began.
_pause_lock = threading.Lock()
_pause_count = 0
_pause_restores = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while WeasyPrint lays out and writes a file.

    WeasyPrint makes and keeps hundreds of thousands of objects (the boxes of every page) until
    the file is written; each time they grow by a quarter, the collector walks every object in
    the process and finds little to free (a few tens of thousands of objects of cyclic garbage,
    freed once the file is written): a fifth of a render's time, measured with gc.callbacks.
    Reference counting still frees what is dropped meanwhile; a 500-page file peaks no higher
    with it paused (BENCH name=sar_pdf_large).

    The switch is the whole process's. The production worker (db_worker) renders one file at a
    time in one thread; in development, where a render runs inside a request, the server's other
    threads go without the cyclic collector (not without reference counting) until it ends."""
    global _pause_count, _pause_restores
    with _pause_lock:
        if _pause_count == 0:
            _pause_restores = gc.isenabled()
            gc.disable()
        _pause_count += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause_count -= 1
            if _pause_count == 0 and _pause_restores:
                gc.enable()


def render_html(
    html: str,
    *,
    progress: Callable[[int], Any] | None = None,
    files: list[tuple[str, bytes]] | None = None,
) -> tuple[bytes, int]:
    """HTML to a tagged PDF (PDF/UA-1), with ``files`` (name, bytes) embedded in it. Any refused
    URL stops it (RenderError)."""
    # WeasyPrint (and Pango under it) loads only where a PDF is made: the render worker.
    from weasyprint import HTML
    from weasyprint import Attachment as Embedded
    from weasyprint.urls import FatalURLFetchingError

    _memoise_page_references()
    fetcher = safe_fetcher()
    try:
        with collector_paused():
            document = HTML(string=html, base_url=f"{STATIC_SCHEME}:/", url_fetcher=fetcher).render(
                pdf_variant="pdf/ua-1"
            )
            if progress:
                progress(70)
            embedded = [
                Embedded(file_obj=io.BytesIO(content), name=name, description=f"Attachment {name}")
                for name, content in files or []
            ]
            pdf = document.write_pdf(pdf_variant="pdf/ua-1", attachments=embedded)
            pages = len(document.pages)
            # Freed here, by reference counting, before the collector is back: otherwise its
            # first pass would walk the whole laid-out document it is about to be rid of.
            del document
    except FatalURLFetchingError as exc:
        cause = exc.__cause__
        raise RenderError(str(cause) if isinstance(cause, RenderError) else str(exc)) from exc
    assert pdf is not None
    return pdf, pages


def render_bundle_pdf(
    sar: SubjectAccessRequest, *, progress: Callable[[int], Any] | None = None
) -> tuple[bytes, int]:
    items = pdf_items(sar)
    if progress:
        progress(20)
    html = bundle_html(sar, items)
    if progress:
        progress(30)
    files = [(i.embedded_name, i.embedded) for i in items if i.embedded_name]
    return render_html(html, progress=progress, files=files)


def encrypt_pdf(pdf: bytes, password: str) -> bytes:
    """Protect a PDF with a password (AES-256, security handler revision 6), keeping its tags,
    structure tree and metadata: qpdf copies every object as it is and only encrypts it.

    It runs in the request that releases a copy, so it must be quick: qpdf does a 150-page
    bundle in about 0.3 s where pypdf took over 4 s. The owner password is the user password: an
    empty owner password would let any reader open the file with no password at all.
    """
    # qpdf loads only when a copy is released.
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        out = io.BytesIO()
        document.save(
            out,
            encryption=pikepdf.Encryption(user=password, owner=password, R=6, aes=True),
        )
    return out.getvalue()
