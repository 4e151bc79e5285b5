"""Real files made by real writers, as a person's own documents would be: PDFs by reportlab (a scan: pages
rendered to images by pypdfium2 and put back into a PDF as pictures), Word files by python-docx, and
saved web pages as a browser saves them (HTML text around the article: navigation, cookie banner,
comments, footer)."""
from __future__ import annotations

import io
from pathlib import Path

HEADER = "Harbour Trust Annual Report 2021"
HISTORY_FACT = "The lighthouse was first lit in 1843 by keeper Thomas Reed."
OIL_FACT = "The lamp burned colza oil until 1902, when it was converted to paraffin."
ROUTINE_FACT = "Every morning the keeper polished the brass lens fittings and trimmed the wicks."
LEFT_COLUMN_LAST = "The log book recorded the weather at every change of watch."
RUNS_ON = "The tower was raised by six metres in 1871 so that the light"  # a paragraph that runs on to page 2
FILLER = ("The harbour board met each quarter to review the accounts of the station, the state of the tower and "
          "the supply of stores brought out by the tender from the mainland. ")


def lighthouse_pdf(path: Path) -> Path:
    """Three pages: a title and headings, a paragraph running from page 1 onto page 2, a two-column page 3,
    and a running header and page-number footer on every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import BaseDocTemplate, Frame, NextPageTemplate, PageBreak, PageTemplate, Paragraph

    styles = getSampleStyleSheet()
    width, height = A4

    def furniture(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, height - 40, HEADER)
        canvas.drawRightString(width - 72, 30, f"Page {doc.page} of 3")
        canvas.restoreState()

    column = (width - 144) / 2 - 6
    doc = BaseDocTemplate(str(path), pagesize=A4, title="The Harbour Lighthouse")
    doc.addPageTemplates([
        PageTemplate("one", [Frame(72, 72, width - 144, height - 144)], onPage=furniture),
        PageTemplate("two", [Frame(72, 72, column, height - 144, id="left"),
                             Frame(72 + column + 12, 72, column, height - 144, id="right")], onPage=furniture),
    ])
    body = styles["BodyText"]
    story = [Paragraph("The Harbour Lighthouse", styles["Title"]), Paragraph("History", styles["Heading1"]),
             Paragraph(HISTORY_FACT + " " + FILLER, body)]
    story += [Paragraph(FILLER * 3, body) for _ in range(7)]
    story.append(Paragraph(FILLER * 2 + RUNS_ON + " could be seen from the far side of the bay. " + FILLER * 2, body))
    story += [Paragraph("Equipment", styles["Heading1"]), Paragraph(OIL_FACT + " " + FILLER, body)]
    story += [NextPageTemplate("two"), PageBreak(), Paragraph("Daily routine", styles["Heading1"])]
    story += [Paragraph(FILLER * 2, body) for _ in range(5)] + [Paragraph(LEFT_COLUMN_LAST, body)]
    story += [Paragraph(FILLER * 2, body) for _ in range(2)] + [Paragraph(ROUTINE_FACT + " " + FILLER, body)]
    doc.build(story)
    return path


def scanned_pdf(source: Path, path: Path, pages: int = 99, dpi: int = 200) -> Path:
    """The first `pages` of `source` as a scanner would give them back: each page a picture, no text layer."""
    import pypdfium2
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pdf = pypdfium2.PdfDocument(str(source))
    out = canvas.Canvas(str(path))
    for page in list(pdf)[:pages]:
        w, h = page.get_size()
        image = page.render(scale=dpi / 72).to_pil().convert("L")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        out.setPageSize((w, h))
        out.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, w, h)
        out.showPage()
    out.save()
    pdf.close()
    return path


def encrypted_pdf(path: Path) -> Path:
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), encrypt=pdfencrypt.StandardEncryption("secret", canPrint=0))
    c.drawString(72, 720, "Board minutes: the budget for next year.")
    c.save()
    return path


BEES_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Keeping Bees in Cities | Garden Weekly</title></head><body>
<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your experience on Garden Weekly.</p>
<button>Accept all cookies</button></div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">Latest gardening news</a></li>
<li><a href="/shop">Visit the Garden Weekly shop</a></li></ul></nav></header>
<main><article>
<h1>Keeping Bees in Cities</h1>
<p>Urban beekeeping has grown quickly over the last decade. A single hive on a rooftop can produce around twenty
kilograms of honey in a good year, according to the city beekeepers' association.</p>
<h2>Choosing a site</h2>
<p>Hives need morning sun and shelter from strong wind. Place them at least three metres from walkways so that
flight paths stay above head height.</p>
<ul><li>Check the local rules on hive numbers before buying bees.</li><li>Provide a shallow water source near the hive.</li></ul>
<h2>The beekeeping year</h2>
<table><tr><th>Month</th><th>Task</th></tr><tr><td>April</td><td>Add a honey super</td></tr>
<tr><td>August</td><td>Harvest the honey and treat for varroa mites</td></tr></table>
<p>Bees forage up to five kilometres from the hive, so the parks and gardens nearby matter more than the rooftop itself.</p>
</article></main>
<section class="comments"><h3>3 Comments</h3><div class="comment"><p>Great article, I love bees! Buy cheap honey at my shop.</p></div></section>
<footer><p>Copyright 2024 Garden Weekly Media. All rights reserved. Privacy policy. Terms of use.</p></footer>
</body></html>
"""
BEES_CLUTTER = ("cookies", "Latest gardening news", "Garden Weekly shop", "Great article", "cheap honey", "Copyright", "Privacy policy")


def garden_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = "Allotment handbook"
    document.add_heading("Allotment handbook", level=0)
    document.add_heading("Planting calendar", level=1)
    document.add_paragraph("Tomatoes go out after the last frost, usually in the middle of May in the north.")
    document.add_paragraph("Water deeply twice a week rather than a little every day.", style="List Bullet")
    table = document.add_table(rows=3, cols=2)
    for r, (crop, month) in enumerate([("Crop", "Sowing month"), ("Carrot", "March"), ("Kale", "June")]):
        table.cell(r, 0).text, table.cell(r, 1).text = crop, month
    document.add_heading("Pests", level=2)
    document.add_paragraph("Slugs eat seedlings at night; copper tape around raised beds keeps most of them away.")
    document.save(str(path))
    return path


def boiler_eml(path: Path, attachments: dict[str, bytes] | None = None, html_only: bool = False) -> Path:
    """A message as a mail program saves it: headers, a plain-text body with an HTML alternative, attachments."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"] = "Anna Berg <anna@berg.example>", "Tom Lee <tom@lee.example>"
    message["Subject"], message["Date"] = "Boiler service", "Tue, 03 Nov 2026 09:15:00 +0000"
    body = "The engineer reset the pressure to 1.5 bar. The next service is due in May."
    if html_only:
        message.set_content(f"<html><body><p>Hi Tom,</p><p>{body}</p></body></html>", subtype="html")
    else:
        message.set_content(f"Hi Tom,\n\n{body}\n\nAnna\n")
        message.add_alternative(f"<html><body><p>{body}</p></body></html>", subtype="html")
    for name, data in (attachments or {}).items():
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    path.write_bytes(bytes(message))
    return path


def harbour_epub(path: Path, encrypted: bool = False) -> Path:
    """An e-book as EPUB 3 writers make it: a package whose spine orders the chapters (not the manifest, not the
    file names), a navigation document listing them, XHTML chapters."""
    import zipfile

    chapters = {  # listed out of reading order on purpose
        "ch2": "<h1>Ferries</h1><p>The ferry leaves at 7:40.<br/>It returns at 18:10.</p>"
               "<table><tr><th>Day</th><th>Fare</th></tr><tr><td>Monday</td><td>£4</td></tr></table>",
        "ch1": "<section><h1>The harbour</h1><p>The harbour wall was built in 1822.</p><blockquote><p>“Mind the "
               "step,” said the keeper.</p></blockquote><ul><li>Lighthouse<ul><li>Keeper's cottage</li></ul></li>"
               "<li>Pier</li></ul><div>Salt on the wind, and gulls.</div></section>",
    }
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        book.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:'
                      'names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" '
                      'media-type="application/oebps-package+xml"/></rootfiles></container>')
        items = "".join(f'<item id="{c}" href="{c}.xhtml" media-type="application/xhtml+xml"/>' for c in chapters)
        book.writestr("OEBPS/content.opf", '<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/'
                      '2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>The '
                      f'Harbour Book</dc:title></metadata><manifest>{items}<item id="nav" href="nav.xhtml" media-type='
                      '"application/xhtml+xml" properties="nav"/></manifest><spine><itemref idref="nav"/><itemref '
                      'idref="ch1"/><itemref idref="ch2"/></spine></package>')
        for name, body in chapters.items():
            book.writestr(f"OEBPS/{name}.xhtml", '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org'
                          f'/1999/xhtml"><head><title>{name}</title></head><body>{body}</body></html>')
        book.writestr("OEBPS/nav.xhtml", '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub='
                      '"http://www.idpf.org/2007/ops"><body><nav epub:type="toc"><ol><li>The harbour</li><li>Ferries'
                      '</li></ol></nav></body></html>')
        if encrypted:
            book.writestr("META-INF/encryption.xml", '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:'
                          'container"><EncryptedData><CipherData><CipherReference URI="OEBPS/ch1.xhtml"/></CipherData>'
                          '</EncryptedData></encryption>')
    return path


def club_odt(path: Path, password_protected: bool = False) -> Path:
    """An OpenDocument text file as LibreOffice writes one: content.xml with a heading, spaces as <text:s>, a nested
    list, a table with a header row, a text box, a footnote, a tracked deletion and a comment; the title in meta.xml."""
    import zipfile

    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"')
    body = (
        '<text:tracked-changes><text:changed-region text:id="c1"><text:deletion><text:p>Meetings are on Tuesdays.'
        '</text:p></text:deletion></text:changed-region></text:tracked-changes>'
        '<text:h text:outline-level="1">Harbour Chess Club</text:h>'
        '<text:p>The club meets on<text:s text:c="2"/>Thursdays at the hall.<text:change text:change-id="c1"/>'
        '<office:annotation><text:p>Check the hall booking.</text:p></office:annotation></text:p>'
        '<text:p>Membership costs £30 a year.<text:note text:note-class="footnote"><text:note-citation>1'
        '</text:note-citation><text:note-body><text:p>Juniors pay half.</text:p></text:note-body></text:note></text:p>'
        '<text:list><text:list-item><text:p>Blitz night</text:p><text:list><text:list-item><text:p>Clocks provided'
        '</text:p></text:list-item></text:list></text:list-item><text:list-item><text:p>Summer league</text:p>'
        '</text:list-item></text:list>'
        '<table:table><table:table-row><table:table-cell><text:p>Month</text:p></table:table-cell><table:table-cell>'
        '<text:p>Event</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell><text:p>May'
        '</text:p></table:table-cell><table:table-cell><text:p>Simultaneous display</text:p></table:table-cell>'
        '</table:table-row></table:table>'
        '<text:p>Contact<draw:frame><draw:text-box><text:p>The secretary is Amara Lind.</text:p></draw:text-box>'
        '</draw:frame></text:p>')
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        encryption = '<manifest:encryption-data manifest:checksum-type="SHA1/1K"/>' if password_protected else ""
        package.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:'
                         'names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path='
                         f'"content.xml" manifest:media-type="text/xml">{encryption}</manifest:file-entry>'
                         '</manifest:manifest>')
        package.writestr("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}>'
                         f'<office:body><office:text>{body}</office:text></office:body></office:document-content>')
        package.writestr("meta.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ns}><office:meta>'
                         '<dc:title>Club newsletter</dc:title></office:meta></office:document-meta>')
    return path


def ferry_pptx(path: Path) -> Path:
    """A presentation as PowerPoint's default template makes one (python-pptx): a title slide; a slide whose text box
    was drawn above its bullet points (two levels) after them, a table and speaker notes; a hidden slide; a grouped
    caption and a line break inside a bullet."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.title = "Island ferries 2027"
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "Island ferries"
    first.placeholders[1].text = "Timetable changes for the summer"
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "Summer sailings"
    body = second.placeholders[1].text_frame
    body.text = "The first boat leaves at 06:50."
    for text, level in (("Bikes travel free", 1), ("Dogs must be on a lead", 1)):
        paragraph = body.add_paragraph()
        paragraph.text, paragraph.level = text, level
    body.add_paragraph().text = "Tickets are sold on board\vand at the pier kiosk"
    second.placeholders[1].top = Inches(3.2)
    note = second.shapes.add_textbox(Inches(1), Inches(1.6), Inches(8), Inches(0.6))
    note.text_frame.text = "Sailings run from 1 June to 30 September."
    table = second.shapes.add_table(2, 2, Inches(1), Inches(6), Inches(6), Inches(0.8)).table
    for (r, c), text in {(0, 0): "Route", (0, 1): "Crossing", (1, 0): "Oban to Mull", (1, 1): "46 minutes"}.items():
        table.cell(r, c).text = text
    second.notes_slide.notes_text_frame.text = "Remind everyone that the 06:50 boat does not run on Sundays."
    hidden = deck.slides.add_slide(deck.slide_layouts[1])
    hidden.shapes.title.text = "Draft fares"
    hidden.placeholders[1].text = "Fares may rise to £9 in 2028."
    hidden._element.set("show", "0")
    third = deck.slides.add_slide(deck.slide_layouts[5])
    third.shapes.title.text = "Contacts"
    group = third.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(0.6)).text_frame.text = "The harbour master is Ewan Ross."
    deck.save(path)
    return path


def allotment_xlsx(path: Path) -> Path:
    """A workbook as Excel saves one (openpyxl): a sheet with a title line above its header, a date, a whole number
    stored as 40.0, an amount formatted with two decimals, a percentage, a formula whose result Excel saved, an empty
    column; a second sheet (a to-do list whose "Done" cell is empty); a hidden sheet."""
    import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.properties.title = "Allotment accounts"
    costs = book.active
    costs.title = "Costs"
    costs.append(["Allotment costs 2027"])
    costs.append([])
    costs.append(["Item", "Paid on", None, "Cost (£)"])
    costs.append(["Plot rent", datetime.datetime(2027, 3, 1), None, 40.0])
    costs.append(["Seed potatoes", datetime.datetime(2027, 3, 14), None, 6.5])
    costs.append(["Total", None, None, "=SUM(D4:D5)"])
    costs.append(["Members' discount", None, None, 0.1])
    costs["D5"].number_format, costs["D7"].number_format = "#,##0.00", "0%"
    todo = book.create_sheet("To do")
    todo.append(["Task", "Done"])
    todo.append(["Mend the shed door", "yes"])
    todo.append(["Buy seeds", None])
    secret = book.create_sheet("Old")
    secret.append(["Plot rent in 2019", 25])
    secret.sheet_state = "hidden"
    book.save(path)
    return _with_saved_result(path, "xl/worksheets/sheet1.xml", "<f>SUM(D4:D5)</f><v></v>", "<f>SUM(D4:D5)</f><v>46.5</v>")


def _with_saved_result(path: Path, member: str, old: str, new: str) -> Path:
    """openpyxl writes a formula without its result; Excel saves the result beside it, as this puts it."""
    import zipfile

    with zipfile.ZipFile(path) as package:
        members = {name: package.read(name) for name in package.namelist()}
    members[member] = members[member].replace(old.encode(), new.encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in members.items():
            package.writestr(name, content)
    return path
