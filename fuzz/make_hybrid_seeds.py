#!/usr/bin/env python3
"""Write small hybrid-PDF seeds for the pdf_attachment fuzz target.

A one-page PDF whose catalog lists factur-x.xml both in /Names /EmbeddedFiles and in /AF, once
with the XML stored plainly and once FlateDecode-compressed; the XML is the project's own
crates/einvoice/tests/fixtures/cii_credit_note.xml. Real Factur-X files are 150 kB, which slows
every mutation; these are 2 to 5 kB.
"""
import pathlib
import zlib

root = pathlib.Path(__file__).resolve().parent.parent
xml = (root / "crates/einvoice/tests/fixtures/cii_credit_note.xml").read_bytes()


def pdf(stream_dict: bytes, content: bytes) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 4 0 R >> /AF [5 0 R] >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Names [(factur-x.xml) 5 0 R] >>",
        b"<< /Type /Filespec /F (factur-x.xml) /UF (factur-x.xml) /AFRelationship /Data"
        b" /EF << /F 6 0 R /UF 6 0 R >> >>",
        b"<< /Type /EmbeddedFile /Subtype /text#2Fxml " + stream_dict
        + b" /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


target = root / "fuzz/corpus/pdf_attachment"
target.mkdir(parents=True, exist_ok=True)
(target / "hybrid_plain.pdf").write_bytes(pdf(b"", xml))
(target / "hybrid_flate.pdf").write_bytes(pdf(b"/Filter /FlateDecode", zlib.compress(xml)))
