"""The user's own guidelines: Markdown and HTML with front matter, and PDF text layers."""

from pathlib import Path

from citemed.errors import SourceError
from citemed.model import Document, Kind
from citemed.sources import reader_for
from tests.conftest import FIXTURES

FOLDER = FIXTURES / "sources" / "guidelines"


def minimal_pdf(pages: list[str], *, title: str | None = None, text_layer: bool = True) -> bytes:
    """A small valid PDF written by hand: one Helvetica text line per entry of `pages`."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for text in pages:
        stream = (f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET" if text_layer else "0 0 m 10 10 l S")
        content_no = len(objects) + 2
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
                       f"{content_no} 0 R /Resources << /Font << /F1 << /Type /Font /Subtype "
                       f"/Type1 /BaseFont /Helvetica >> >> >> >>".encode())
        kids.append(f"{len(objects)} 0 R")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream".encode())
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    info = f"<< /Title ({title}) /CreationDate (D:20190102000000) >>" if title else "<< >>"
    objects.append(info.encode())
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def read_all(path: Path):
    reader = reader_for(path)
    items = list(reader.read(path))
    return reader.name, [i for i in items if isinstance(i, Document)], \
        [i for i in items if isinstance(i, SourceError)]


def test_folder_of_markdown_and_html_guidelines():
    name, docs, errors = read_all(FOLDER)
    assert name == "guidelines"
    by_id = {d.id: d for d in docs}
    assert sorted(by_id) == ["guideline:cardio-sparkle-heart", "guideline:glimmer"]
    md = by_id["guideline:glimmer"]
    assert (md.title, md.source, md.year, md.kind) == (
        "Management of glimmer syndrome in adults", "Example Health Service", 2024, Kind.GUIDELINE)
    assert md.url == "https://example.org/guidelines/glimmer"
    assert [s.label for s in md.sections] == ["OVERVIEW", "Diagnosis", "Treatment"]
    assert md.sections[1].text == ("Examine the skin under bright light. See the atlas for "
                                   "photographs.")
    assert [s.text for s in md.sections[2].sentences] == [
        "- Offer an emollient twice daily (strong recommendation).",
        "- Do not offer oral steroids.", "Review after 4 weeks."]

    html = by_id["guideline:cardio-sparkle-heart"]
    assert (html.title, html.source, html.year, html.kind) == (
        "Sparkle heart & glimmer", "Example Cardiology Society", 2023, Kind.SYSTEMATIC_REVIEW)
    text = " ".join(s.text for s in html.sections)
    for dropped in ("Injected script", "color: red", "Navigation text"):
        assert dropped not in text
    assert [s.label for s in html.sections] == ["Sparkle heart & glimmer", "Recommendations"]
    assert html.sections[0].text == ("Glimmer syndrome rarely affects the heart \u2014 fewer than "
                                     "1 in 1,000 patients.")  # nbsp folded
    assert [s.text for s in html.sections[1].sentences] == [
        "- Do not screen with echocardiography.", "- Refer if chest pain < 2 weeks."]

    messages = sorted(str(e) for e in errors)
    assert len(messages) == 2
    assert "bad-kind.md" in messages[0] and "'blog post'" in messages[0]
    assert "no-front-matter.md" in messages[1] and "title" in messages[1]


def test_pdf_text_layer_pages_become_sections(tmp_path):
    path = tmp_path / "Glimmer Leaflet.pdf"
    path.write_bytes(minimal_pdf(["Glimmer syndrome is harmless.", "Ask your doctor."],
                                 title="Glimmer leaflet"))
    name, docs, errors = read_all(path)
    assert name == "pdf" and errors == []
    (doc,) = docs
    assert doc.id == "guideline:glimmer-leaflet" and doc.title == "Glimmer leaflet"
    assert doc.year == 2019
    assert [(s.label, s.text) for s in doc.sections] == [
        ("Page 1", "Glimmer syndrome is harmless."), ("Page 2", "Ask your doctor.")]


def test_pdf_without_text_layer_or_broken_is_a_clear_error(tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(minimal_pdf(["ignored"], text_layer=False))
    _, docs, errors = read_all(scan)
    assert docs == [] and "scan.pdf" in str(errors[0]) and "no text layer" in str(errors[0])
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not a pdf body")
    _, docs, errors = read_all(broken)
    assert docs == [] and "broken.pdf" in str(errors[0])


def test_front_matter_is_yaml_and_markdown_is_commonmark(tmp_path):
    page = tmp_path / "asthma.md"
    page.write_text('---\ntitle: "Asthma: diagnosis"\nyear: 2021\nterms: [asthma, wheeze]\n---\n'
                    "# Treatment\n\n1. Offer a reliever\n   to every patient.\n2. Review *yearly*.\n"
                    "\n<div>Shared <b>care</b> plan.</div>\n", encoding="utf-8")
    (doc,) = read_all(page)[1]
    assert (doc.title, doc.year, doc.terms) == ("Asthma: diagnosis", 2021, ["asthma", "wheeze"])
    assert doc.sections[0].text == ("- Offer a reliever to every patient.\n- Review yearly.\n\n"
                                    "Shared care plan.")

    page.write_text("---\ntitle: Asthma: diagnosis\n---\nText.\n", encoding="utf-8")
    (error,) = read_all(page)[2]
    assert "asthma.md" in str(error) and "quote a value" in str(error)
    page.write_text("---\ntitle: Never closed\nText.\n", encoding="utf-8")
    assert "never closed" in str(read_all(page)[2][0])
    page.write_text("---\ntitle: T\nauthor: Someone\n---\nText.\n", encoding="utf-8")
    assert "'author'" in str(read_all(page)[2][0])
