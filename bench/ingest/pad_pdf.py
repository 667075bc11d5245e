"""Pad a PDF to a given size with an incremental update, keeping its text layer intact.

    python3 bench/ingest/pad_pdf.py IN.pdf OUT.pdf [SIZE_BYTES]   (default 102400)

Appends one unreferenced stream object of seeded random bytes (so it does not compress) and a
new cross-reference section whose /Prev points at the original one, as a PDF editor saving
changes does. Readers see the same pages and text; the upload is SIZE bytes. Works for PDFs with
a classic `xref` table (reportlab's output, e.g. samples/).
"""

import random
import re
import sys


def main():
    source, target = sys.argv[1], sys.argv[2]
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 100 * 1024
    pdf = open(source, "rb").read()
    previous = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    trailer = re.findall(rb"trailer\s*<<(.*?)>>\s*startxref", pdf, re.S)[-1]
    objects = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))
    root = re.search(rb"/Root\s+(\d+\s+\d+\s+R)", trailer).group(1)
    if not pdf.endswith(b"\n"):
        pdf += b"\n"
    offset = len(pdf)
    # Leave room for the object header and the new xref and trailer (under 300 bytes).
    padding = max(0, size - offset - 300)
    rng = random.Random(42)
    data = bytes(rng.getrandbits(8) for _ in range(padding))
    body = b"%d 0 obj\n<< /Length %d >>\nstream\n" % (objects, len(data)) + data + b"\nendstream\nendobj\n"
    xref_at = offset + len(body)
    xref = b"xref\n%d 1\n%010d 00000 n \n" % (objects, offset)
    tail = b"trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        objects + 1,
        root,
        previous,
        xref_at,
    )
    out = pdf + body + xref + tail
    open(target, "wb").write(out)
    print(f"{target}: {len(out)} bytes")


if __name__ == "__main__":
    main()
