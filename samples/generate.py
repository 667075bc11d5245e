#!/usr/bin/env python3
"""Generate stapel's sample invoices: text-layer PDFs plus ground truth.

Run by developers, not by CI; the generated PDFs are committed.

    pip install reportlab
    python3 samples/generate.py

Every sample is a plausible invoice as a small European supplier would print it: letterhead,
addresses, line items, totals, payment terms and a footer with bank and registration details.
The ground truth (`<name>.expected.json`) is computed from the same invoice data with Python's
Decimal, independent of stapel's parser. Companies, numbers and accounts are fictitious; IBANs
carry valid check digits so that a validating reader accepts them.
"""

import json
import os
import sys
from decimal import Decimal, ROUND_HALF_UP

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

HERE = os.path.dirname(os.path.abspath(__file__))
CENT = Decimal("0.01")


def iban(country, bban):
    """An IBAN with correct ISO 13616 check digits for the given BBAN."""
    rearranged = bban + country + "00"
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    check = 98 - int(digits) % 97
    return f"{country}{check:02d}{bban}"


def group_iban(value):
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4))


def fmt_amount(value, style):
    """Format a Decimal the way the sample's locale prints money."""
    negative = value < 0
    value = abs(value).quantize(CENT)
    whole, frac = f"{value:.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    if style == "en":
        text = ",".join(groups) + "." + frac
    elif style == "eu":
        text = ".".join(groups) + "," + frac
    elif style == "fr":
        # Narrow no-break space is not in WinAnsi; French software prints a no-break space.
        text = "\u00a0".join(groups) + "," + frac
    else:
        raise ValueError(style)
    return ("-" if negative else "") + text


def money(value, sample):
    text = fmt_amount(value, sample["number_style"])
    symbol = sample["currency_symbol"]
    if sample["symbol_after"]:
        return f"{text} {symbol}"
    return f"{symbol} {text}"


def rate_text(rate):
    return f"{rate.normalize():f}"


def compute(sample):
    lines = []
    for description, quantity, unit_price, rate in sample["items"]:
        quantity = Decimal(quantity)
        unit_price = Decimal(unit_price)
        net = (quantity * unit_price).quantize(CENT, ROUND_HALF_UP)
        lines.append((description, quantity, unit_price, net, Decimal(rate)))
    breakdown = {}
    for *_, net, rate in lines:
        breakdown.setdefault(rate, Decimal(0))
        breakdown[rate] += net
    vat_rows = []
    for rate in sorted(breakdown):
        base = breakdown[rate]
        amount = (base * rate / 100).quantize(CENT, ROUND_HALF_UP)
        vat_rows.append((rate, base, amount))
    net_total = sum(base for _, base, _ in vat_rows)
    vat_total = sum(amount for *_, amount in vat_rows)
    gross_total = net_total + vat_total
    return lines, vat_rows, net_total, vat_total, gross_total


def draw_sample(sample):
    lines, vat_rows, net_total, vat_total, gross_total = compute(sample)
    labels = sample["labels"]
    path = os.path.join(HERE, sample["name"] + ".pdf")
    pdf = canvas.Canvas(path, pagesize=A4, pageCompression=1)
    pdf.setTitle(f'{labels["title"]} {sample["number"]}')
    pdf.setAuthor(sample["supplier"]["name"])
    pdf.setCreator("stapel samples/generate.py")
    width, height = A4
    left, right = 50, width - 50

    # Letterhead: supplier name large, address and contact small, top left.
    y = height - 60
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(left, y, sample["supplier"]["name"])
    pdf.setFont("Helvetica", 8.5)
    for line in sample["supplier"]["address"] + sample["supplier"]["contact"]:
        y -= 11
        pdf.drawString(left, y, line)

    # Document title at the right of the letterhead.
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawRightString(right, height - 62, labels["title"].upper())

    # Recipient window, left.
    y = height - 170
    pdf.setFont("Helvetica", 7.5)
    pdf.drawString(left, y + 14, sample["sender_line"])
    pdf.setFont("Helvetica-Bold", 8.5)
    pdf.drawString(left, y, labels["bill_to"])
    pdf.setFont("Helvetica", 10)
    for line in [sample["customer"]["name"]] + sample["customer"]["address"]:
        y -= 13
        pdf.drawString(left, y, line)

    # Invoice data block, right, on its own lines below the window.
    y = height - 270
    pdf.setFont("Helvetica", 10)
    meta = [(labels["number"], sample["number"]),
            (labels["issue_date"], sample["issue_date_text"])]
    meta += sample.get("extra_meta", [])
    meta.append((labels["due_date"], sample["due_date_text"]))
    for label, value in meta:
        pdf.drawString(330, y, label)
        pdf.drawRightString(right, y, value)
        y -= 14

    # Optional reference text (credit notes name the invoice they correct).
    y -= 10
    if sample.get("intro"):
        pdf.setFont("Helvetica", 10)
        for line in sample["intro"]:
            pdf.drawString(left, y, line)
            y -= 13
        y -= 6

    # Line items.
    columns = labels["columns"]
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(left, y, columns[0])
    pdf.drawRightString(330, y, columns[1])
    pdf.drawRightString(400, y, columns[2])
    pdf.drawRightString(450, y, columns[3])
    pdf.drawRightString(right, y, columns[4])
    pdf.line(left, y - 4, right, y - 4)
    y -= 18
    pdf.setFont("Helvetica", 9)
    for description, quantity, unit_price, net, rate in lines:
        pdf.drawString(left, y, description)
        pdf.drawRightString(330, y, fmt_amount(quantity, sample["number_style"]).rstrip("0").rstrip(",.") if quantity != quantity.to_integral() else str(quantity))
        pdf.drawRightString(400, y, fmt_amount(unit_price, sample["number_style"]))
        pdf.drawRightString(450, y, rate_text(rate) + " %" if sample["number_style"] == "fr" else rate_text(rate) + "%")
        pdf.drawRightString(right, y, fmt_amount(net, sample["number_style"]))
        y -= 14
    pdf.line(left, y + 6, right, y + 6)
    y -= 12

    # Totals, right aligned.
    pdf.setFont("Helvetica", 10)
    pdf.drawString(330, y, labels["net_total"])
    pdf.drawRightString(right, y, money(net_total, sample))
    y -= 14
    for rate, base, amount in vat_rows:
        label = labels["vat_line"].format(rate=rate_text(rate), base=money(base, sample))
        pdf.drawString(330 if len(vat_rows) == 1 else 250, y, label)
        pdf.drawRightString(right, y, money(amount, sample))
        y -= 14
    if len(vat_rows) > 1 and labels.get("vat_total"):
        pdf.drawString(250, y, labels["vat_total"])
        pdf.drawRightString(right, y, money(vat_total, sample))
        y -= 14
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(330, y, labels["gross_total"])
    pdf.drawRightString(right, y, money(gross_total, sample))
    y -= 16
    if labels.get("amount_due"):
        pdf.setFont("Helvetica", 10)
        pdf.drawString(330, y, labels["amount_due"])
        pdf.drawRightString(right, y, money(gross_total, sample))
        y -= 14

    # Payment terms.
    y -= 20
    pdf.setFont("Helvetica", 9.5)
    for line in sample["terms"]:
        pdf.drawString(left, y, line.format(iban=group_iban(sample["iban"]), bic=sample["bic"],
                                            number=sample["number"],
                                            gross=money(gross_total, sample)))
        y -= 13

    # Footer: company details in small print.
    pdf.setFont("Helvetica", 7)
    y = 60
    for line in sample["footer"]:
        pdf.drawCentredString(width / 2, y, line.format(iban=group_iban(sample["iban"]), bic=sample["bic"]))
        y -= 9
    pdf.showPage()
    pdf.save()
    write_expected(sample)
    print(f"wrote {path}")


def write_expected(sample):
    """The ground truth, from the same invoice data the PDF is drawn from."""
    lines, vat_rows, net_total, vat_total, gross_total = compute(sample)
    labels = sample["labels"]
    expected = {
        "document_type": sample.get("document_type", "invoice"),
        "invoice_number": sample["number"],
        "issue_date": sample["issue_date"],
        "due_date": sample["due_date"],
        "currency": sample["currency"],
        "net_total": f"{net_total:.2f}",
        "vat_total": f"{vat_total:.2f}",
        "gross_total": f"{gross_total:.2f}",
        # Only what is printed: without an amount-due line the reader must leave it empty.
        "amount_due": f"{gross_total:.2f}" if labels.get("amount_due") else None,
        "supplier_name": sample["supplier"]["name"],
        "supplier_vat_id": sample["supplier_vat_id"],
        "customer_name": sample["customer"]["name"],
        "iban": sample["iban"],
        "vat_breakdown": [
            {"rate": rate_text(rate), "base": f"{base:.2f}", "amount": f"{amount:.2f}"}
            for rate, base, amount in vat_rows
        ],
        # Every item row as printed: the description text, quantity, unit price, net, rate.
        "lines": [
            {
                "description": description,
                "quantity": f"{quantity.normalize():f}",
                "unit_price": f"{unit_price:.2f}",
                "net_amount": f"{net:.2f}",
                "vat_rate": rate_text(rate),
            }
            for description, quantity, unit_price, net, rate in lines
        ],
    }
    with open(os.path.join(HERE, sample["name"] + ".expected.json"), "w", encoding="utf-8") as out:
        json.dump(expected, out, indent=2, ensure_ascii=False)
        out.write("\n")


SAMPLES = [
    {
        "name": "en_invoice",
        "number_style": "en", "currency": "GBP", "currency_symbol": "£", "symbol_after": False,
        "number": "INV-2026-0147",
        "issue_date": "2026-11-21", "issue_date_text": "21 November 2026",
        "due_date": "2026-12-21", "due_date_text": "21 December 2026",
        "supplier": {
            "name": "Harbour & Finch Consulting Ltd",
            "address": ["14 Quayside Lane", "Bristol BS1 4RN", "United Kingdom"],
            "contact": ["accounts@harbourfinch.co.uk · +44 117 496 0183"],
        },
        "supplier_vat_id": "GB123456789",
        "sender_line": "Harbour & Finch Consulting Ltd · 14 Quayside Lane · Bristol BS1 4RN",
        "customer": {"name": "Northwind Logistics Ltd",
                     "address": ["Attn: Accounts Payable", "Unit 7, Meridian Park", "Leeds LS11 8BU"]},
        "labels": {
            "title": "Invoice", "bill_to": "Bill to", "number": "Invoice No.",
            "issue_date": "Invoice date", "due_date": "Due date",
            "columns": ["Description", "Qty", "Unit price", "VAT", "Amount"],
            "net_total": "Subtotal", "vat_line": "VAT {rate}%", "gross_total": "Total",
            "amount_due": "Amount due",
        },
        "extra_meta": [("Your PO", "PO-88213"), ("Customer ID", "C-10492")],
        "items": [
            ("Process review workshop (2 days)", "2", "950.00", "20"),
            ("Warehouse routing analysis", "1", "1450.00", "20"),
            ("Travel expenses, Leeds", "1", "186.40", "20"),
        ],
        "terms": ["Payment terms: 30 days net. Please quote {number} with your payment.",
                  "Bank: Barclays · Sort code 20-00-00 · IBAN {iban} · BIC {bic}"],
        "iban": iban("GB", "BARC20000055779911"), "bic": "BARCGB22",
        "footer": ["Harbour & Finch Consulting Ltd · Registered in England and Wales No. 09876543",
                   "VAT Reg. No. GB 123 4567 89"],
    },
    {
        "name": "nl_factuur",
        "number_style": "eu", "currency": "EUR", "currency_symbol": "€", "symbol_after": False,
        "number": "2026-0312",
        "issue_date": "2026-11-21", "issue_date_text": "21-11-2026",
        "due_date": "2026-12-05", "due_date_text": "05-12-2026",
        "supplier": {
            "name": "Drukkerij Van der Meulen B.V.",
            "address": ["Industrieweg 42", "3542 AD Utrecht"],
            "contact": ["Tel. 030 241 88 10 · info@vdmeulendruk.nl"],
        },
        "supplier_vat_id": "NL812345678B01",
        "sender_line": "Drukkerij Van der Meulen B.V. · Industrieweg 42 · 3542 AD Utrecht",
        "customer": {"name": "Bakkerij De Gouden Korenschoof",
                     "address": ["t.a.v. de administratie", "Voorstraat 118", "3512 AS Utrecht"]},
        "labels": {
            "title": "Factuur", "bill_to": "Factuur aan", "number": "Factuurnummer",
            "issue_date": "Factuurdatum", "due_date": "Vervaldatum",
            "columns": ["Omschrijving", "Aantal", "Prijs", "BTW", "Bedrag"],
            "net_total": "Subtotaal", "vat_line": "BTW {rate}%", "gross_total": "Totaal incl. BTW",
            "amount_due": None,
        },
        "extra_meta": [("Klantnummer", "40871")],
        "items": [
            ("Folders A5, 4/4 kleuren, 2.500 st.", "1", "412.50", "21"),
            ("Visitekaartjes, 500 st.", "3", "38.95", "21"),
            ("Ontwerpwerk (uur)", "2.5", "72.00", "21"),
        ],
        "terms": ["Wij verzoeken u het bedrag van {gross} binnen 14 dagen over te maken",
                  "op IBAN {iban} (BIC {bic}) o.v.v. factuurnummer {number}."],
        "iban": iban("NL", "RABO0123456789"), "bic": "RABONL2U",
        "footer": ["Drukkerij Van der Meulen B.V. · KvK 30123456 · Btw-nr. NL812345678B01",
                   "IBAN {iban} · Op al onze leveringen zijn de algemene voorwaarden van toepassing."],
    },
    {
        "name": "de_rechnung",
        "number_style": "eu", "currency": "EUR", "currency_symbol": "€", "symbol_after": True,
        "number": "RE-2026-11873",
        "issue_date": "2026-11-21", "issue_date_text": "21.11.2026",
        "due_date": "2026-12-21", "due_date_text": "21.12.2026",
        "supplier": {
            "name": "Müller & Söhne Büroausstattung GmbH",
            "address": ["Gießereistraße 7", "80339 München"],
            "contact": ["Telefon 089 5502 117 · rechnung@mueller-soehne.de"],
        },
        "supplier_vat_id": "DE293847561",
        "sender_line": "Müller & Söhne Büroausstattung GmbH · Gießereistraße 7 · 80339 München",
        "customer": {"name": "Schäfer Steuerberatung PartG",
                     "address": ["z. Hd. Frau Jördis Krüger", "Königsallee 61", "40212 Düsseldorf"]},
        "labels": {
            "title": "Rechnung", "bill_to": "Rechnungsempfänger", "number": "Rechnungsnummer",
            "issue_date": "Rechnungsdatum", "due_date": "Zahlbar bis",
            "columns": ["Bezeichnung", "Menge", "Einzelpreis", "USt.", "Gesamt"],
            "net_total": "Nettobetrag", "vat_line": "zzgl. {rate}% MwSt.",
            "gross_total": "Gesamtbetrag", "amount_due": None,
        },
        "extra_meta": [("Kundennummer", "K-20417"), ("Lieferdatum", "18.11.2026")],
        "items": [
            ("Bürodrehstuhl „Ergo Plus“, schwarz", "4", "389.00", "19"),
            ("Schreibtisch höhenverstellbar 160×80", "2", "649.00", "19"),
            ("Lieferung und Montage", "1", "120.00", "19"),
        ],
        "terms": ["Zahlbar innerhalb von 30 Tagen ohne Abzug.",
                  "Bankverbindung: Stadtsparkasse München · IBAN {iban} · BIC {bic}"],
        "iban": iban("DE", "701500000012345678"), "bic": "SSKMDEMMXXX",
        "footer": ["Müller & Söhne Büroausstattung GmbH · Sitz München · Amtsgericht München HRB 123456",
                   "Geschäftsführer: Jürgen Müller · USt-IdNr.: DE293847561 · St.-Nr. 143/123/45678"],
    },
    {
        "name": "da_faktura",
        "number_style": "eu", "currency": "DKK", "currency_symbol": "kr.", "symbol_after": True,
        "number": "10482",
        "issue_date": "2026-11-21", "issue_date_text": "21.11.2026",
        "due_date": "2026-12-08", "due_date_text": "08.12.2026",
        "supplier": {
            "name": "Nørrebro Kafferisteri ApS",
            "address": ["Ægirsgade 31", "2200 København N"],
            "contact": ["Tlf. 32 14 77 09 · faktura@norrebrokaffe.dk"],
        },
        "supplier_vat_id": "DK31415926",
        "sender_line": "Nørrebro Kafferisteri ApS · Ægirsgade 31 · 2200 København N",
        "customer": {"name": "Café Søstrene Ørum",
                     "address": ["Att.: Bogholderiet", "Vesterbrogade 112", "1620 København V"]},
        "labels": {
            "title": "Faktura", "bill_to": "Faktura til", "number": "Fakturanr.",
            "issue_date": "Fakturadato", "due_date": "Forfaldsdato",
            "columns": ["Beskrivelse", "Antal", "Stk. pris", "Moms", "Beløb"],
            "net_total": "Subtotal", "vat_line": "Moms {rate}%", "gross_total": "I alt",
            "amount_due": None,
        },
        "extra_meta": [("Kundenr.", "2231")],
        "items": [
            ("Espresso blend, 1 kg", "12", "189.00", "25"),
            ("Single origin Etiopien, 1 kg", "4", "245.00", "25"),
            ("Levering", "1", "95.00", "25"),
        ],
        "terms": ["Betalingsbetingelser: netto 17 dage.",
                  "Betaling til Danske Bank · Reg.nr. 3001 · IBAN {iban} · BIC {bic}"],
        "iban": iban("DK", "30000012345678"), "bic": "DABADKKK",
        "footer": ["Nørrebro Kafferisteri ApS · CVR-nr. 31415926 · Ægirsgade 31 · 2200 København N"],
    },
    {
        "name": "it_fattura",
        "number_style": "eu", "currency": "EUR", "currency_symbol": "€", "symbol_after": False,
        "number": "FT 2026/0457",
        "issue_date": "2026-11-21", "issue_date_text": "21/11/2026",
        "due_date": "2026-12-31", "due_date_text": "31/12/2026",
        "supplier": {
            "name": "Tipografia Bellucci S.r.l.",
            "address": ["Via dell'Artigianato 18", "50127 Firenze (FI)"],
            "contact": ["Tel. 055 412 3390 · amministrazione@tipografiabellucci.it"],
        },
        "supplier_vat_id": "IT04567890123",
        "sender_line": "Tipografia Bellucci S.r.l. · Via dell'Artigianato 18 · 50127 Firenze",
        "customer": {"name": "Libreria Città Aperta S.n.c.",
                     "address": ["Via Ghibellina 92/r", "50122 Firenze (FI)", "P. IVA 05123450487"]},
        "labels": {
            "title": "Fattura", "bill_to": "Destinatario", "number": "Fattura n.",
            "issue_date": "Data fattura", "due_date": "Scadenza",
            "columns": ["Descrizione", "Q.tà", "Prezzo", "IVA", "Importo"],
            "net_total": "Totale imponibile", "vat_line": "IVA {rate}%",
            "gross_total": "Totale documento", "amount_due": None,
        },
        "extra_meta": [("Pagamento", "Bonifico 30 gg d.f.f.m.")],
        "items": [
            ("Cataloghi 24 pagine, brossura", "300", "2.85", "22"),
            ("Segnalibri stampati fronte/retro", "1000", "0.12", "22"),
            ("Prova colore", "1", "35.00", "22"),
        ],
        "terms": ["Pagamento mediante bonifico bancario entro la scadenza indicata.",
                  "Banca: Intesa Sanpaolo · IBAN {iban} · BIC {bic}"],
        "iban": iban("IT", "X0306902887100000012345"), "bic": "BCITITMM",
        "footer": ["Tipografia Bellucci S.r.l. · P. IVA IT04567890123 · REA FI-512345 · Capitale sociale € 20.000 i.v."],
    },
    {
        "name": "fr_facture",
        "number_style": "fr", "currency": "EUR", "currency_symbol": "€", "symbol_after": True,
        "number": "F-2026-1109",
        "issue_date": "2026-11-21", "issue_date_text": "21 novembre 2026",
        "due_date": "2026-12-21", "due_date_text": "21 décembre 2026",
        "supplier": {
            "name": "Atelier Lefèvre Électricité SARL",
            "address": ["12, rue des Pénitents", "69005 Lyon"],
            "contact": ["Tél. 04 78 92 15 60 · compta@lefevre-elec.fr"],
        },
        "supplier_vat_id": "FR27512345678",
        "sender_line": "Atelier Lefèvre Électricité SARL · 12, rue des Pénitents · 69005 Lyon",
        "customer": {"name": "Boulangerie Pâtisserie Gérard",
                     "address": ["À l'attention de M. Hervé Gérard", "4, place Bellecour", "69002 Lyon"]},
        "labels": {
            "title": "Facture", "bill_to": "Client", "number": "Facture n°",
            "issue_date": "Date de facture", "due_date": "Date d'échéance",
            "columns": ["Désignation", "Qté", "Prix unitaire HT", "TVA", "Montant HT"],
            "net_total": "Total HT", "vat_line": "TVA {rate} %", "gross_total": "Total TTC",
            "amount_due": "Net à payer",
        },
        "extra_meta": [],
        "items": [
            ("Remplacement tableau électrique", "1", "1280.00", "20"),
            ("Main-d'œuvre électricien (heure)", "6", "55.00", "20"),
            ("Déplacement", "1", "45.00", "20"),
        ],
        "terms": ["Conditions de paiement : 30 jours date de facture. Pas d'escompte pour paiement anticipé.",
                  "Pénalités de retard : 3 fois le taux d'intérêt légal. Indemnité forfaitaire de recouvrement : 40 €.",
                  "Règlement par virement : IBAN {iban} · BIC {bic}"],
        "iban": iban("FR", "30004000031234567890143"), "bic": "BNPAFRPPXXX",
        "footer": ["Atelier Lefèvre Électricité SARL au capital de 10 000 € · SIRET 512 345 678 00021 · RCS Lyon",
                   "N° TVA intracommunautaire : FR27512345678"],
    },
    {
        "name": "be_creditnota",
        "document_type": "credit_note",
        "number_style": "eu", "currency": "EUR", "currency_symbol": "€", "symbol_after": False,
        "number": "CN-2026-0021",
        "issue_date": "2026-11-24", "issue_date_text": "24/11/2026",
        "due_date": "2026-12-24", "due_date_text": "24/12/2026",
        "supplier": {
            "name": "Brouwerij 't Hoefijzer BV",
            "address": ["Kerkstraat 5", "9000 Gent", "België"],
            "contact": ["Tel. 09 233 45 10 · boekhouding@hoefijzer.be"],
        },
        "supplier_vat_id": "BE0123456749",
        "sender_line": "Brouwerij 't Hoefijzer BV · Kerkstraat 5 · 9000 Gent",
        "customer": {"name": "Café Het Vliegend Paard",
                     "address": ["Vrijdagmarkt 22", "9000 Gent"]},
        "intro": ["Creditnota voor retour leeggoed en beschadigde levering,",
                  "betreft factuur 2026-0977 van 12/11/2026."],
        "labels": {
            "title": "Creditnota", "bill_to": "Klant", "number": "Creditnotanummer",
            "issue_date": "Datum", "due_date": "Vervaldatum",
            "columns": ["Omschrijving", "Aantal", "Prijs", "Btw", "Bedrag"],
            "net_total": "Totaal excl. btw", "vat_line": "Btw {rate}%", "gross_total": "Totaal incl. btw",
            "amount_due": None,
        },
        "extra_meta": [("Klantnr.", "K0388")],
        "items": [
            ("Retour vaten 30 l (statiegeld)", "-4", "30.00", "21"),
            ("Beschadigde bak Tripel 24×33 cl", "-2", "38.40", "21"),
        ],
        "terms": ["Het bedrag wordt verrekend met uw volgende factuur of teruggestort",
                  "op uw rekening. Onze rekening: IBAN {iban} · BIC {bic}"],
        "iban": iban("BE", "001234567890"), "bic": "GEBABEBB",
        "footer": ["Brouwerij 't Hoefijzer BV · Ondernemingsnummer BTW BE 0123.456.749 · RPR Gent"],
    },
    {
        "name": "nl_factuur_twee_tarieven",
        "number_style": "eu", "currency": "EUR", "currency_symbol": "€", "symbol_after": False,
        "number": "VK26-04418",
        "issue_date": "2026-11-19", "issue_date_text": "19-11-2026",
        "due_date": "2026-12-03", "due_date_text": "03-12-2026",
        "supplier": {
            "name": "Groothandel De Vries Horeca",
            "address": ["Veilingweg 9", "2651 BE Berkel en Rodenrijs"],
            "contact": ["Tel. 010 511 42 00 · debiteuren@devrieshoreca.nl"],
        },
        "supplier_vat_id": "NL001234567B02",
        "sender_line": "Groothandel De Vries Horeca · Veilingweg 9 · 2651 BE Berkel en Rodenrijs",
        "customer": {"name": "Eetcafé 't Pleintje",
                     "address": ["Grote Markt 3", "2611 GP Delft"]},
        "labels": {
            "title": "Factuur", "bill_to": "Factuuradres", "number": "Factuurnr.",
            "issue_date": "Factuurdatum", "due_date": "Vervaldatum",
            "columns": ["Artikel", "Aantal", "Prijs", "BTW", "Bedrag"],
            "net_total": "Totaal excl. BTW", "vat_line": "BTW {rate}% over {base}",
            "vat_total": "Totaal BTW", "gross_total": "Totaal incl. BTW", "amount_due": "Te betalen",
        },
        "extra_meta": [("Debiteurnr.", "118204"), ("Afleverdatum", "18-11-2026")],
        "items": [
            ("Friet 10 mm, 4 × 2,5 kg", "6", "17.95", "9"),
            ("Zonnebloemolie 10 l", "3", "24.50", "9"),
            ("Koffiebonen espresso 1 kg", "8", "16.75", "9"),
            ("Vaatwastabletten 200 st.", "2", "38.90", "21"),
            ("Servetten 3-laags, 1.000 st.", "4", "12.40", "21"),
        ],
        "terms": ["Betaling binnen 14 dagen na factuurdatum op IBAN {iban}",
                  "ten name van Groothandel De Vries Horeca, onder vermelding van {number}."],
        "iban": iban("NL", "INGB0001234567"), "bic": "INGBNL2A",
        "footer": ["Groothandel De Vries Horeca · KvK 24123456 · BTW NL001234567B02 · IBAN {iban}"],
    },
]


if __name__ == "__main__":
    # `--expected-only` rewrites the ground truth without redrawing the committed PDFs (whose
    # bytes would change with every run, as reportlab stamps the creation time).
    expected_only = "--expected-only" in sys.argv[1:]
    for sample in SAMPLES:
        if expected_only:
            write_expected(sample)
        else:
            draw_sample(sample)
