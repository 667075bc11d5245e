#!/usr/bin/env python3
"""Synthetic invoices in many layouts, for measuring stapel's field extraction.

Why: samples/generate.py draws every sample in one layout, so an extractor can get them all right
by fitting that one layout. This generator varies what real invoices vary: where the blocks sit
(five layouts), how labels are worded (several synonyms per field and language), how dates,
numbers and currencies are printed, the VAT regime (one rate, several rates, a zero-rated line,
intra-EU reverse charge), credit notes, prepayments, tables that run over several pages, and the
numbers a naive reader takes for the real ones (customer and order numbers, the customer's VAT
id, registration numbers, the credited invoice's number, discounts, amounts in payment terms).

Each PDF gets its ground truth beside it (`<name>.expected.json`, the schema of
samples/*.expected.json), computed from the same invoice data with Decimal, never from stapel.

    python3 bench/synth/generate.py /tmp/synth --count 200 --seed 1 --self-check

Same arguments, same bytes: every invoice draws from its own Random seeded with (seed, index),
and reportlab runs with invariant=1 (no timestamps, no random document id). Companies, people,
VAT ids and bank accounts are fictitious; VAT ids and IBANs carry valid check digits, so a
validating reader accepts them.
"""

import argparse
import json
import os
import random
import re
import sys
import textwrap
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Optional

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

CENT = Decimal("0.01")
PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT = 50, PAGE_WIDTH - 50
LAYOUTS = ["classic", "boxes", "split", "receipt", "modern"]
LANGUAGES = ["en", "nl", "de", "da", "it", "fr"]
NBSP = "\u00a0"

# --------------------------------------------------------------------------------------------
# Check digits. The generators compute a check digit; the validators (used by --self-check)
# test the whole number the other way round, so one mistake does not hide in both.
# --------------------------------------------------------------------------------------------


def random_digits(rng, n, first_nonzero=True):
    first = str(rng.randint(1, 9)) if first_nonzero else str(rng.randint(0, 9))
    return first + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def luhn_digit(body):
    """The digit that makes body + digit pass the Luhn test."""
    total = 0
    for position, ch in enumerate(reversed(body)):
        value = int(ch) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str(-total % 10)


def make_vat_id(country, rng):
    """A VAT id with valid check digits, normalised: country prefix, no spaces."""
    while True:
        if country == "NL":  # 9 digits, mod 11 with weights 9..2, then B and a 2-digit suffix
            body = random_digits(rng, 8)
            check = sum(int(d) * w for d, w in zip(body, range(9, 1, -1))) % 11
            if check < 10:
                return f"NL{body}{check}B0{rng.choice('1112')}"
        elif country == "DE":  # ISO 7064 MOD 11,10
            body, product = random_digits(rng, 8), 10
            for ch in body:
                product = 2 * ((int(ch) + product) % 10 or 10) % 11
            return f"DE{body}{(11 - product) % 10}"
        elif country == "DK":  # weights 2,7,6,5,4,3,2,1; weighted sum divisible by 11
            body = random_digits(rng, 7)
            check = -sum(int(d) * w for d, w in zip(body, (2, 7, 6, 5, 4, 3, 2))) % 11
            if check < 10:
                return f"DK{body}{check}"
        elif country == "IT":  # 7-digit number, 3-digit office code, Luhn digit
            body = random_digits(rng, 7) + f"{rng.randint(1, 100):03d}"
            return f"IT{body}{luhn_digit(body)}"
        elif country == "FR":  # key (12 + 3 * (SIREN mod 97)) mod 97, SIREN passes Luhn
            siren = random_digits(rng, 8)
            siren += luhn_digit(siren)
            return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
        elif country == "BE":  # 10 digits, the last two are 97 - (first eight mod 97)
            first = "0" + random_digits(rng, 7)
            return f"BE{first}{97 - int(first) % 97:02d}"
        elif country == "GB":  # weights 8..2 on seven digits plus the 2-digit check: 0 mod 97
            body = random_digits(rng, 7)
            return f"GB{body}{-sum(int(d) * w for d, w in zip(body, range(8, 1, -1))) % 97:02d}"
        elif country == "CH":  # UID: weights 5,4,3,2,7,6,5,4, mod 11
            body = random_digits(rng, 8)
            check = (11 - sum(int(d) * w for d, w in zip(body, (5, 4, 3, 2, 7, 6, 5, 4))) % 11) % 11
            if check < 10:
                return f"CHE{body}{check}"
        else:
            raise ValueError(country)


def valid_vat_id(value):
    """Independent check of a normalised VAT id."""
    if value.startswith("CHE"):
        digits = value[3:]
        if not re.fullmatch(r"\d{9}", digits):
            return False
        return (sum(int(d) * w for d, w in zip(digits, (5, 4, 3, 2, 7, 6, 5, 4))) + int(digits[8])) % 11 == 0
    country, number = value[:2], value[2:]
    if country == "NL":
        match = re.fullmatch(r"(\d{9})B\d\d", number)
        d = [int(c) for c in match[1]] if match else []
        return bool(match) and (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0
    if country == "DE":
        if not re.fullmatch(r"[1-9]\d{8}", number):
            return False
        product = 10
        for ch in number[:8]:
            product = 2 * ((int(ch) + product) % 10 or 10) % 11
        return (product + int(number[8])) % 10 == 1  # the ISO 7064 "pure" check: ends at 1
    if country == "DK":
        return bool(re.fullmatch(r"[1-9]\d{7}", number)) and sum(
            int(d) * w for d, w in zip(number, (2, 7, 6, 5, 4, 3, 2, 1))) % 11 == 0
    if country == "IT":
        return bool(re.fullmatch(r"\d{11}", number)) and luhn_valid(number)
    if country == "FR":
        if not re.fullmatch(r"\d{11}", number):
            return False
        key, siren = int(number[:2]), number[2:]
        return luhn_valid(siren) and key == (12 + 3 * (int(siren) % 97)) % 97
    if country == "BE":
        return bool(re.fullmatch(r"[01]\d{9}", number)) and (
            int(number[:8]) + int(number[8:])) % 97 == 0
    if country == "GB":
        if not re.fullmatch(r"\d{9}", number):
            return False
        total = sum(int(d) * w for d, w in zip(number, range(8, 1, -1))) + int(number[7:])
        return total % 97 == 0 or (total + 55) % 97 == 0
    return False


def luhn_valid(number):
    digits = [int(c) for c in number]
    odd = digits[-1::-2]
    even = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]
    return (sum(odd) + sum(even)) % 10 == 0


IBAN_LENGTH = {"NL": 18, "DE": 22, "DK": 18, "IT": 27, "FR": 27, "BE": 16, "GB": 22, "CH": 21}
# The odd-position values of the Italian CIN (same table as the codice fiscale), for 0-9 / A-Z.
CIN_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]


def italian_cin(rest):
    value = lambda ch: int(ch) if ch.isdigit() else ord(ch) - 65
    return chr(65 + sum(CIN_ODD[value(ch)] if i % 2 == 0 else value(ch)
                        for i, ch in enumerate(rest)) % 26)


def make_iban(country, bank_code, rng):
    """An IBAN of the country's length with valid national and ISO 13616 check digits."""
    length = IBAN_LENGTH[country] - 4
    if country == "BE":
        first = bank_code + random_digits(rng, 7, False)
        bban = first + f"{int(first) % 97 or 97:02d}"
    elif country == "IT":
        rest = bank_code + random_digits(rng, 12, False)
        bban = italian_cin(rest) + rest
    elif country == "FR":
        account = random_digits(rng, 11, False)
        key = 97 - (89 * int(bank_code[:5]) + 15 * int(bank_code[5:]) + 3 * int(account)) % 97
        bban = f"{bank_code}{account}{key:02d}"
    else:
        bban = bank_code + random_digits(rng, length - len(bank_code), False)
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def valid_iban(value):
    """Independent check: length per country, mod 97 over the rotated string, national keys."""
    if IBAN_LENGTH.get(value[:2]) != len(value) or not value.isalnum():
        return False
    remainder = 0
    for ch in value[4:] + value[:4]:
        remainder = (remainder * (10 if ch.isdigit() else 100) + int(ch, 36)) % 97
    bban = value[4:]
    if value[:2] == "BE" and (int(bban[:10]) % 97 or 97) != int(bban[10:]):
        return False
    if value[:2] == "IT" and italian_cin(bban[1:]) != bban[0]:
        return False
    if value[:2] == "FR" and (89 * int(bban[:5]) + 15 * int(bban[5:10]) + 3 * int(bban[10:21])
                              + int(bban[21:])) % 97:
        return False
    return remainder == 1


# --------------------------------------------------------------------------------------------
# Data tables: countries, companies, items, labels.
# --------------------------------------------------------------------------------------------

# Standard rate, reduced rates ("red" items take the first, "red2" items the last).
RATES = {"NL": ("21", ["9"]), "BE": ("21", ["6", "12"]), "DE": ("19", ["7"]),
         "CH": ("8.1", ["2.6", "3.8"]), "DK": ("25", []), "IT": ("22", ["10", "4"]),
         "FR": ("20", ["5.5", "10"]), "GB": ("20", ["5"])}
CURRENCY = {"NL": "EUR", "BE": "EUR", "DE": "EUR", "CH": "CHF", "DK": "DKK", "IT": "EUR",
            "FR": "EUR", "GB": "GBP"}
EU = ["NL", "BE", "DE", "DK", "IT", "FR"]
# Who writes in which language, with weights: English from a UK firm mostly, sometimes a Dutch
# or Danish one; Swiss firms write German and bill in CHF.
SUPPLIER_COUNTRIES = {"en": [("GB", 7), ("NL", 2), ("DK", 1)], "nl": [("NL", 8), ("BE", 2)],
                      "de": [("DE", 8), ("CH", 2)], "da": [("DK", 1)], "it": [("IT", 1)],
                      "fr": [("FR", 9), ("BE", 1)]}

NAMES = {
    "NL": (["Van der Meulen", "De Vries", "Jansen", "Bakker", "Visser", "Smit", "Mulder", "De Boer", "Dekker", "Van Dijk"],
           ["Drukkerij", "Installatietechniek", "Groothandel", "Bouwbedrijf", "Adviesbureau", "Transport", "Koffiebranderij"],
           ["Bakkerij", "Eetcafé", "Hotel", "Tandartspraktijk", "Fietsenwinkel", "Bloemenhandel", "Sportschool"],
           ["B.V.", "B.V.", "V.O.F.", ""], ["{trade} {stem} {form}", "{stem} {trade} {form}"]),
    "BE": (["Peeters", "Janssens", "Maes", "Claes", "Wouters", "Goossens", "De Smet", "Willems"],
           ["Brouwerij", "Schrijnwerkerij", "Elektro", "Drukkerij", "Bouwonderneming", "Transport"],
           ["Café", "Frituur", "Bakkerij", "Apotheek", "Boekhandel"],
           ["BV", "NV", "CommV"], ["{trade} {stem} {form}", "{stem} {trade} {form}"]),
    "DE": (["Müller", "Schäfer", "Weiß", "Köhler", "Hoffmann", "Krüger", "Schröder", "Wagner", "Becker", "Neumann"],
           ["Elektrotechnik", "Druckerei", "Metallbau", "Haustechnik", "Büroservice", "Logistik", "Gartenbau"],
           ["Bäckerei", "Gasthof", "Autohaus", "Zahnarztpraxis", "Buchhandlung", "Physiotherapie"],
           ["GmbH", "GmbH", "GmbH & Co. KG", "KG", "e.K.", "AG", "UG (haftungsbeschränkt)"],
           ["{stem} {trade} {form}", "{trade} {stem} {form}"]),
    "CH": (["Brunner", "Gerber", "Baumann", "Steiner", "Keller", "Huber", "Frei", "Meier"],
           ["Haustechnik", "Druckerei", "Schreinerei", "Treuhand", "Informatik"],
           ["Bäckerei", "Gasthaus", "Apotheke", "Garage", "Hotel"],
           ["AG", "GmbH"], ["{stem} {trade} {form}", "{trade} {stem} {form}"]),
    "DK": (["Nørgaard", "Søndergaard", "Østergaard", "Jensen", "Hansen", "Kjær", "Bækgaard", "Møller", "Lund"],
           ["Tømrerfirma", "Kafferisteri", "Rengøring", "Trykkeri", "VVS", "Revision", "El-service"],
           ["Café", "Bageri", "Tandlæge", "Blomsterhandel", "Hotel", "Boghandel"],
           ["ApS", "ApS", "A/S", "I/S"], ["{stem} {trade} {form}", "{trade} {stem} {form}"]),
    "IT": (["Bellucci", "Rossi", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "De Luca"],
           ["Tipografia", "Impianti Elettrici", "Edilizia", "Forniture Alberghiere", "Studio Tecnico", "Trasporti", "Torrefazione"],
           ["Libreria", "Ristorante", "Albergo", "Farmacia", "Panificio", "Studio Dentistico"],
           ["S.r.l.", "S.r.l.", "S.p.A.", "S.n.c.", "S.a.s."], ["{trade} {stem} {form}"]),
    "FR": (["Lefèvre", "Moreau", "Dubois", "Girard", "Lambert", "Fournier", "Bonnet", "Mercier", "Faure"],
           ["Atelier", "Électricité", "Imprimerie", "Menuiserie", "Transports", "Conseil", "Plomberie"],
           ["Boulangerie", "Café-Restaurant", "Hôtel", "Pharmacie", "Librairie", "Cabinet dentaire"],
           ["SAS", "SARL", "SARL", "SA", "EURL"], ["{trade} {stem} {form}"]),
    "GB": (["Harbour & Finch", "Whitmore", "Ashford", "Pemberton", "Kingsley", "Thornbury", "Hartley", "Carrington"],
           ["Consulting", "Logistics", "Print", "Engineering", "Catering", "Software", "Joinery"],
           ["Bakery", "Hotel", "Dental Practice", "Bookshop", "Garage", "Café"],
           ["Ltd", "Ltd", "Limited", "LLP"], ["{stem} {trade} {form}"]),
}

ADDRESSES = {
    "NL": (["Kerkstraat", "Stationsweg", "Industrieweg", "Dorpsstraat", "Molenweg", "Veilingweg"],
           [("1012 AB", "Amsterdam"), ("3011 HE", "Rotterdam"), ("3511 LX", "Utrecht"), ("9711 LM", "Groningen"), ("2611 GP", "Delft")]),
    "BE": (["Kerkstraat", "Veldstraat", "Meir", "Brugsesteenweg", "Stationsstraat"],
           [("9000", "Gent"), ("2000", "Antwerpen"), ("3000", "Leuven"), ("8000", "Brugge")]),
    "DE": (["Hauptstraße", "Bahnhofstraße", "Industriestraße", "Schillerstraße", "Am Mühlbach"],
           [("80331", "München"), ("50667", "Köln"), ("20095", "Hamburg"), ("70173", "Stuttgart"), ("04109", "Leipzig")]),
    "CH": (["Bahnhofstrasse", "Seestrasse", "Dorfstrasse", "Industriestrasse"],
           [("8001", "Zürich"), ("3011", "Bern"), ("4051", "Basel"), ("6003", "Luzern")]),
    "DK": (["Nørrebrogade", "Vestergade", "Søndergade", "Østerbrogade", "Industrivej"],
           [("2200", "København N"), ("8000", "Aarhus C"), ("5000", "Odense C"), ("9000", "Aalborg")]),
    "IT": (["Via Roma", "Via Garibaldi", "Viale dell'Industria", "Corso Vittorio Emanuele II", "Via dell'Artigianato"],
           [("20121", "Milano (MI)"), ("50127", "Firenze (FI)"), ("00184", "Roma (RM)"), ("40121", "Bologna (BO)"), ("10121", "Torino (TO)")]),
    "FR": (["rue des Pénitents", "avenue Jean Jaurès", "boulevard Voltaire", "rue de la République", "place Bellecour"],
           [("69005", "Lyon"), ("75011", "Paris"), ("13001", "Marseille"), ("31000", "Toulouse"), ("44000", "Nantes")]),
    "GB": (["Quayside Lane", "High Street", "Station Road", "Mill Lane", "Church Street"],
           [("BS1 4RN", "Bristol"), ("LS11 8BU", "Leeds"), ("M1 2HF", "Manchester"), ("EH1 1YZ", "Edinburgh")]),
}
COUNTRY_NAMES = {
    "en": dict(NL="Netherlands", BE="Belgium", DE="Germany", DK="Denmark", IT="Italy", FR="France", GB="United Kingdom", CH="Switzerland"),
    "nl": dict(NL="Nederland", BE="België", DE="Duitsland", DK="Denemarken", IT="Italië", FR="Frankrijk", GB="Verenigd Koninkrijk", CH="Zwitserland"),
    "de": dict(NL="Niederlande", BE="Belgien", DE="Deutschland", DK="Dänemark", IT="Italien", FR="Frankreich", GB="Vereinigtes Königreich", CH="Schweiz"),
    "da": dict(NL="Holland", BE="Belgien", DE="Tyskland", DK="Danmark", IT="Italien", FR="Frankrig", GB="Storbritannien", CH="Schweiz"),
    "it": dict(NL="Paesi Bassi", BE="Belgio", DE="Germania", DK="Danimarca", IT="Italia", FR="Francia", GB="Regno Unito", CH="Svizzera"),
    "fr": dict(NL="Pays-Bas", BE="Belgique", DE="Allemagne", DK="Danemark", IT="Italie", FR="France", GB="Royaume-Uni", CH="Suisse"),
}
PHONES = {"NL": ["+31 20 ### ####", "010 ### ## ##"], "BE": ["+32 9 ### ## ##", "03 ### ## ##"],
          "DE": ["+49 89 #######", "0221 ###-####"], "CH": ["+41 44 ### ## ##"],
          "DK": ["+45 ## ## ## ##"], "IT": ["+39 055 ### ####", "02 #######"],
          "FR": ["04 ## ## ## ##", "+33 1 ## ## ## ##"], "GB": ["+44 117 ### ####", "0113 ### ####"]}
DOMAINS = {"NL": "nl", "BE": "be", "DE": "de", "CH": "ch", "DK": "dk", "IT": "it", "FR": "fr", "GB": "co.uk"}
MAILBOXES = {"en": "accounts", "nl": "administratie", "de": "buchhaltung", "da": "regnskab",
             "it": "amministrazione", "fr": "compta"}
# Bank code as it starts the BBAN (IT: ABI+CAB, FR: bank+branch, GB: bank+sort code), BIC, name.
BANKS = {
    "NL": [("ABNA", "ABNANL2A", "ABN AMRO"), ("RABO", "RABONL2U", "Rabobank"), ("INGB", "INGBNL2A", "ING Bank")],
    "BE": [("001", "GEBABEBB", "BNP Paribas Fortis"), ("068", "GKCCBEBB", "Belfius"), ("737", "KREDBEBB", "KBC")],
    "DE": [("37040044", "COBADEFFXXX", "Commerzbank"), ("70150000", "SSKMDEMMXXX", "Stadtsparkasse München"), ("50010517", "INGDDEFFXXX", "ING")],
    "CH": [("00700", "ZKBKCHZZ80A", "Zürcher Kantonalbank"), ("09000", "POFICHBEXXX", "PostFinance")],
    "DK": [("3000", "DABADKKK", "Danske Bank"), ("2191", "NDEADKKK", "Nordea"), ("7681", "JYBADKKK", "Jyske Bank")],
    "IT": [("0306909606", "BCITITMM", "Intesa Sanpaolo"), ("0200801633", "UNCRITMM", "UniCredit")],
    "FR": [("3000400003", "BNPAFRPP", "BNP Paribas"), ("3000300500", "SOGEFRPP", "Société Générale")],
    "GB": [("BARC200000", "BARCGB22", "Barclays"), ("NWBK601613", "NWBKGB2L", "NatWest"), ("HBUK400515", "HBUKGB4B", "HSBC UK")],
}

# (description, lowest price, highest price, kind, quantity kind). Kinds: std (standard rate),
# red / red2 (first / last reduced rate), zero (exempt or outside the scope of VAT).
ITEMS = {
    "en": [("Consulting services (hours)", 65, 140, "std", "h"), ("Process review workshop", 600, 1500, "std", "flat"),
           ("Software licence, annual", 300, 1200, "std", "pcs"), ("Printer toner cartridge, black", 35, 90, "std", "pcs"),
           ("Delivery and handling", 8, 40, "std", "flat"), ("Office chair, ergonomic", 120, 380, "std", "pcs"),
           ("Network cabling, Cat6", 1.2, 3.5, "std", "m"), ("On-site support visit", 90, 220, "std", "flat"),
           ("Safety gloves, box of 50", 6, 15, "std", "pcs"), ("Website maintenance, monthly", 80, 250, "std", "pcs"),
           ("Child car seat, group 1", 60, 140, "red", "pcs"), ("Loft insulation, energy saving", 8, 20, "red2", "m"),
           ("Printed books, assorted titles", 8, 35, "zero", "pcs"), ("Postage (outside the scope of VAT)", 3, 25, "zero", "flat")],
    "nl": [("Ontwerpwerk (uur)", 55, 95, "std", "h"), ("Folders A5, 4/4 kleuren", 120, 450, "std", "flat"),
           ("Visitekaartjes, 500 st.", 25, 60, "std", "pcs"), ("Arbeidsloon monteur (uur)", 45, 75, "std", "h"),
           ("Kabelgoot 60x40, per meter", 4, 12, "std", "m"), ("Vaatwastabletten 200 st.", 25, 45, "std", "pcs"),
           ("Servetten 3-laags, 1.000 st.", 9, 16, "std", "pcs"), ("Onderhoudscontract, per kwartaal", 150, 400, "std", "pcs"),
           ("Voorrijkosten", 25, 55, "std", "flat"), ("Kantoorstoel, zwart", 140, 320, "std", "pcs"),
           ("Koffiebonen espresso 1 kg", 12, 25, "red", "pcs"), ("Friet 10 mm, 4 × 2,5 kg", 14, 22, "red", "pcs"),
           ("Lunchbuffet, per persoon", 12, 28, "red2", "pcs"),
           ("Doorberekende leges (vrijgesteld)", 50, 300, "zero", "flat"), ("Porto buitenland (vrijgesteld)", 5, 30, "zero", "flat")],
    "de": [("Montagearbeiten (Std.)", 55, 95, "std", "h"), ("LED-Panel 60 × 60 cm", 35, 70, "std", "pcs"),
           ("Kabelkanal 60 × 40 mm", 4, 11, "std", "m"), ("Wartungspauschale Heizungsanlage", 120, 260, "std", "flat"),
           ("Anfahrtspauschale", 35, 60, "std", "flat"), ("Druck Flyer DIN A5, 1.000 Stk.", 80, 160, "std", "pcs"),
           ("Webhosting Business, 12 Monate", 90, 240, "std", "pcs"), ("Schrauben M6 × 40, verzinkt (100 Stk.)", 6, 14, "std", "pcs"),
           ("Bürostuhl „Ergo Plus“", 180, 390, "std", "pcs"), ("Projektleitung (Std.)", 85, 140, "std", "h"),
           ("Kaffee Crema, 1 kg", 14, 26, "red", "pcs"), ("Fachbuch Elektroinstallation", 30, 70, "red", "pcs"),
           ("Übernachtung Einzelzimmer", 70, 140, "red2", "pcs"),
           ("Porto (nicht steuerbar)", 4, 20, "zero", "flat"), ("Verwaltungsgebühr (durchlaufender Posten)", 20, 150, "zero", "flat")],
    "da": [("Tømrerarbejde (timer)", 420, 650, "std", "h"), ("Service af espressomaskine", 800, 1600, "std", "flat"),
           ("Kørsel", 250, 600, "std", "flat"), ("Trykning af brochurer, 500 stk.", 1200, 3500, "std", "flat"),
           ("Rengøring af kontor, måned", 2500, 6000, "std", "pcs"), ("Gipsplader 12,5 mm", 60, 110, "std", "pcs"),
           ("Konsulentbistand (timer)", 750, 1250, "std", "h"), ("Kabelbakke, pr. meter", 40, 95, "std", "m"),
           ("Kontorstol, sort", 1100, 2800, "std", "pcs"), ("Espresso blend, 1 kg", 150, 260, "std", "pcs"),
           ("Avisabonnement, 12 mdr. (momsfri)", 900, 2400, "zero", "pcs"), ("Tinglysningsafgift (momsfri)", 1500, 3000, "zero", "flat")],
    "it": [("Cataloghi 24 pagine, brossura", 1.5, 4, "std", "pcs"), ("Manodopera elettricista (ore)", 30, 55, "std", "h"),
           ("Consulenza tecnica (ore)", 60, 120, "std", "h"), ("Canone assistenza software, trimestre", 150, 450, "std", "pcs"),
           ("Quadro elettrico, fornitura e posa", 600, 1800, "std", "flat"), ("Cavo elettrico FG16OR16 3G2,5", 1.2, 3.8, "std", "m"),
           ("Trasporto e consegna", 25, 80, "std", "flat"), ("Sedia da ufficio ergonomica", 120, 320, "std", "pcs"),
           ("Toner stampante, nero", 40, 95, "std", "pcs"), ("Segnalibri stampati fronte/retro", 0.08, 0.25, "std", "pcs"),
           ("Pernottamento camera doppia", 80, 180, "red", "pcs"), ("Pasti di lavoro", 20, 45, "red", "pcs"),
           ("Libri tecnici", 20, 60, "red2", "pcs"),
           ("Marca da bollo (esente art. 15)", 2, 2, "zero", "flat"), ("Spese anticipate per conto del cliente (art. 15)", 20, 200, "zero", "flat")],
    "fr": [("Remplacement tableau électrique", 800, 1800, "std", "flat"), ("Main-d'œuvre électricien (heure)", 45, 70, "std", "h"),
           ("Déplacement", 30, 60, "std", "flat"), ("Impression flyers A5, 1 000 ex.", 90, 180, "std", "pcs"),
           ("Prestation de conseil (jour)", 450, 900, "std", "pcs"), ("Câble électrique 3G2,5, le mètre", 1.5, 4, "std", "m"),
           ("Fauteuil de bureau ergonomique", 150, 380, "std", "pcs"), ("Entretien annuel chaudière", 120, 260, "std", "flat"),
           ("Cartouche d'encre noire", 25, 70, "std", "pcs"), ("Pose de parquet chêne, m²", 25, 55, "std", "m"),
           ("Café en grains, 1 kg", 14, 28, "red", "pcs"), ("Livre technique « Électricité pratique »", 25, 60, "red", "pcs"),
           ("Repas d'affaires, menu du jour", 15, 35, "red2", "pcs"), ("Nuitée hôtel, chambre double", 80, 180, "red2", "pcs"),
           ("Frais de débours (non soumis à TVA)", 20, 150, "zero", "flat")],
}
VARIANTS = {"en": ["black", "white", "grey", "size M", "size L", "type A", "type B"],
            "nl": ["zwart", "wit", "grijs", "maat M", "maat L", "type A", "type B"],
            "de": ["schwarz", "weiß", "grau", "Größe M", "Größe L", "Typ A", "Typ B"],
            "da": ["sort", "hvid", "grå", "str. M", "str. L", "type A", "type B"],
            "it": ["nero", "bianco", "grigio", "taglia M", "taglia L", "tipo A", "tipo B"],
            "fr": ["noir", "blanc", "gris", "taille M", "taille L", "type A", "type B"]}
DELIVERY_NOTE = {"en": "delivery note", "nl": "pakbon", "de": "Lieferschein", "da": "følgeseddel", "it": "DDT", "fr": "BL"}
UNITS = {"en": dict(pcs="pcs", h="hrs", m="m", flat="each"), "nl": dict(pcs="st.", h="uur", m="m", flat="post"),
         "de": dict(pcs="Stk.", h="Std.", m="m", flat="pausch."), "da": dict(pcs="stk.", h="timer", m="m", flat="stk."),
         "it": dict(pcs="pz.", h="ore", m="m", flat="a corpo"), "fr": dict(pcs="u.", h="h", m="m", flat="forfait")}
MONTHS = {"en": "January February March April May June July August September October November December",
          "nl": "januari februari maart april mei juni juli augustus september oktober november december",
          "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
          "da": "januar februar marts april maj juni juli august september oktober november december",
          "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
          "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"}
DATE_STYLES = {"en": ["long", "long_us", "dmy/", "short"], "nl": ["dmy-", "dmy-", "long", "iso"],
               "de": ["dmy.", "dmy.", "long", "iso"], "da": ["dmy.", "dmy-", "long"],
               "it": ["dmy/", "dmy/", "long", "dmy-"], "fr": ["dmy/", "dmy/", "long", "dmy."]}
NUMBER_STYLES = {"en": ["en", "en", "en_plain"], "nl": ["eu", "eu", "eu_plain"], "de": ["eu", "eu", "eu_plain"],
                 "da": ["eu", "eu", "eu_plain"], "it": ["eu", "eu", "eu_plain"], "fr": ["fr", "fr", "fr_space", "eu_plain"]}
SEPARATORS = {"en": (",", "."), "en_plain": ("", "."), "eu": (".", ","), "eu_plain": ("", ","),
              "fr": (NBSP, ","), "fr_space": (" ", ","), "ch": ("'", ".")}
NUMBER_PATTERNS = {"en": ["INV-{year}-{n4}", "{n5}", "INV{n6}", "SI-{n5}"], "nl": ["{year}-{n4}", "F{year}{n4}", "VK{yy}-{n5}", "{n5}"],
                   "de": ["RE-{year}-{n4}", "{year}{n5}", "R{n6}", "{n5}"], "da": ["{n5}", "{year}-{n4}", "F{n6}"],
                   "it": ["{n3}/{year}", "FT{year}/{n4}", "FT-{year}-{n4}", "{n4}/A"], "fr": ["F-{year}-{n4}", "FA{year}{n4}", "{year}-{n5}"]}
CREDIT_PATTERNS = {"en": "CN-{year}-{n4}", "nl": "CN{year}-{n4}", "de": "GS-{year}-{n4}", "da": "K{n5}",
                   "it": "NC{n3}/{year}", "fr": "AV-{year}-{n4}"}
# How a title line reads with the number in it ("Facture n° F-2026-1109").
TITLE_WITH_NUMBER = {"en": "{title} {number}", "nl": "{title} {number}", "de": "{title} Nr. {number}",
                     "da": "{title} nr. {number}", "it": "{title} n. {number}", "fr": "{title} n° {number}"}
ATTENTION = {"en": "Attn: Accounts Payable", "nl": "t.a.v. de administratie", "de": "z. Hd. Buchhaltung",
             "da": "Att.: Bogholderiet", "it": "c.a. Ufficio amministrazione", "fr": "À l'attention du service comptable"}

# Label wording, several synonyms per field. Templates take {pct}, {base}, {date}, {page},
# {pages}, {ref}, {ref_date}, {days}, {due}, {amount}, {number}.
LABELS = {
    "en": dict(
        base=["Net amount", "Taxable amount"], vat_amount=["VAT amount", "VAT"], 
        title=["Invoice", "INVOICE", "Tax invoice", "VAT invoice"], credit_title=["Credit note", "CREDIT NOTE", "Credit memo"],
        number=["Invoice number", "Invoice No.", "Invoice #", "Invoice no"], credit_number=["Credit note number", "Credit note No.", "Credit memo #"],
        date=["Invoice date", "Date", "Date of issue", "Issue date"], due=["Due date", "Payment due", "Due"],
        delivery=["Delivery date", "Date of supply"], customer_no=["Customer no.", "Customer ID", "Account no."],
        order_no=["Your PO", "Order number", "Purchase order", "Your ref."], customer_vat=["Your VAT no.", "Customer VAT no.", "Client VAT ID"],
        vat_id=["VAT Reg. No.", "VAT No.", "VAT registration number"], bill_to=["Bill to", "Invoice to", "Customer", "Billed to"],
        desc=["Description", "Item", "Details"], qty=["Qty", "Quantity", "Units"], unit=["Unit"], price=["Unit price", "Rate", "Price"],
        vat_col=["VAT", "VAT %", "Tax"], amount=["Amount", "Net", "Line total"], pos=["#", "Line", "No."], article=["Code", "SKU", "Item no."],
        net=["Subtotal", "Net total", "Total excl. VAT", "Total net"], vat_line=["VAT {pct}", "VAT @ {pct}", "VAT {pct} on {base}"],
        vat_total=["Total VAT", "VAT total"], gross=["Total", "Total incl. VAT", "Invoice total"],
        due_amount=["Amount due", "Balance due", "Total due", "Amount payable"],
        deposit=["Less deposit paid {date}", "Deposit received", "Less payment on account"], discount=["Discount {pct}", "Loyalty discount {pct}"],
        page=["Page {page} of {pages}", "Page {page}/{pages}"], carried=["Carried forward", "Subtotal c/f"], brought=["Brought forward", "Subtotal b/f"],
        reverse=["Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC).",
                 "Reverse charge - customer to account for VAT.", "Reverse charge applies."],
        credit_ref=["This credit note relates to invoice {ref} dated {ref_date}.", "Credit against invoice {ref} of {ref_date}."],
        original=["Original invoice", "Credited invoice", "Invoice ref."],
        terms=["Payment terms: {days} days net.", "Please quote {number} with your payment.", "Terms: strictly {days} days."],
        terms_due=["Please pay {amount} by {due}, quoting {number}.", "Payment due by {due}."],
        skonto=["{pct} early settlement discount if paid within {days} days: pay {amount}."],
        credit_terms=["{amount} will be refunded to your account within 14 days.", "This credit of {amount} will be offset against your next invoice."],
        bank=["Bank details", "Bank", "Pay to"], phone=["Tel.", "Phone", "T"], details=["Invoice details", "Details"]),
    "nl": dict(
        base=["Grondslag", "Basis"], vat_amount=["Btw-bedrag", "Btw"], 
        title=["Factuur", "FACTUUR", "Verkoopfactuur"], credit_title=["Creditnota", "Creditfactuur", "CREDITNOTA"],
        number=["Factuurnummer", "Factuurnr.", "Nummer", "Factuur nr."], credit_number=["Creditnotanummer", "Creditnota nr.", "Nummer"],
        date=["Factuurdatum", "Datum", "Datum factuur"], due=["Vervaldatum", "Uiterste betaaldatum", "Te betalen vóór"],
        delivery=["Leverdatum", "Afleverdatum"], customer_no=["Klantnummer", "Debiteurnr.", "Klantnr."],
        order_no=["Uw referentie", "Ordernummer", "Inkoopordernr."], customer_vat=["Uw btw-nummer", "Btw-nr. klant", "BTW-id afnemer"],
        vat_id=["Btw-nummer", "BTW-nr.", "Btw-id"], bill_to=["Factuuradres", "Aan", "Klant", "Factuur aan"],
        desc=["Omschrijving", "Artikel", "Product"], qty=["Aantal", "Aant.", "Hoeveelheid"], unit=["Eenheid"], price=["Prijs", "Stukprijs", "Prijs per eenheid"],
        vat_col=["Btw", "BTW %", "Btw-tarief"], amount=["Bedrag", "Totaal", "Bedrag excl."], pos=["Nr.", "Regel", "#"], article=["Art.nr.", "Code", "Artikelcode"],
        net=["Subtotaal", "Totaal excl. btw", "Netto bedrag", "Totaal exclusief BTW"], vat_line=["Btw {pct}", "BTW {pct}", "Btw {pct} over {base}"],
        vat_total=["Totaal btw", "Btw-bedrag"], gross=["Totaal incl. btw", "Totaal", "Factuurbedrag", "Totaal inclusief BTW"],
        due_amount=["Te betalen", "Totaal te betalen", "Openstaand bedrag"],
        deposit=["Af: aanbetaling {date}", "Reeds betaald (aanbetaling)", "Minus vooruitbetaling"], discount=["Korting {pct}", "Kwantumkorting {pct}"],
        page=["Pagina {page} van {pages}", "Blad {page}/{pages}"], carried=["Transport", "Subtotaal naar volgende pagina"], brought=["Transport", "Transport van vorige pagina"],
        reverse=["Btw verlegd naar de afnemer (art. 12 lid 3 Wet OB).", "BTW verlegd.", "Btw verlegd – intracommunautaire dienst."],
        credit_ref=["Deze creditnota betreft factuur {ref} van {ref_date}.", "Creditering van factuur {ref} d.d. {ref_date}."],
        original=["Originele factuur", "Betreft factuur", "Gecrediteerde factuur"],
        terms=["Betaling binnen {days} dagen na factuurdatum.", "Vermeld bij betaling het factuurnummer {number}.", "Betalingstermijn: {days} dagen."],
        terms_due=["Gelieve {amount} vóór {due} over te maken onder vermelding van {number}.", "Te betalen vóór {due}."],
        skonto=["Bij betaling binnen {days} dagen {pct} betalingskorting: te betalen {amount}."],
        credit_terms=["Het bedrag van {amount} wordt verrekend met uw volgende factuur.", "Wij storten {amount} binnen 14 dagen terug op uw rekening."],
        bank=["Bank", "Bankgegevens", "Rekening"], phone=["Tel.", "Telefoon", "T"], details=["Factuurgegevens", "Gegevens"]),
    "de": dict(
        base=["Bemessungsgrundlage", "Netto"], vat_amount=["Steuerbetrag", "USt.-Betrag"], 
        title=["Rechnung", "RECHNUNG"], credit_title=["Gutschrift", "Rechnungskorrektur", "GUTSCHRIFT"],
        number=["Rechnungsnummer", "Rechnung Nr.", "Rechnungs-Nr.", "Beleg-Nr."], credit_number=["Gutschrift-Nr.", "Gutschriftsnummer", "Beleg-Nr."],
        date=["Rechnungsdatum", "Datum", "Belegdatum"], due=["Fällig am", "Zahlbar bis", "Fälligkeitsdatum"],
        delivery=["Lieferdatum", "Leistungsdatum"], customer_no=["Kundennummer", "Kunden-Nr.", "Kd.-Nr."],
        order_no=["Ihre Bestellung", "Bestellnummer", "Auftragsnummer", "Ihr Zeichen"], customer_vat=["Ihre USt-IdNr.", "USt-IdNr. Kunde", "Ihre UID"],
        vat_id=["USt-IdNr.", "USt.-ID", "Umsatzsteuer-ID"], bill_to=["Rechnungsempfänger", "Rechnungsadresse", "An"],
        desc=["Bezeichnung", "Beschreibung", "Artikel", "Leistung"], qty=["Menge", "Anzahl", "Anz."], unit=["Einheit", "ME"],
        price=["Einzelpreis", "E-Preis", "Preis/Einheit"], vat_col=["USt.", "MwSt.", "USt-Satz"], amount=["Gesamtpreis", "Betrag", "Gesamt"],
        pos=["Pos.", "Pos"], article=["Art.-Nr.", "Artikelnr."],
        net=["Nettobetrag", "Summe netto", "Zwischensumme", "Gesamt netto"], vat_line=["zzgl. {pct} USt.", "MwSt. {pct}", "Umsatzsteuer {pct} auf {base}", "{pct} MwSt."],
        vat_total=["Umsatzsteuer gesamt", "Summe MwSt."], gross=["Gesamtbetrag", "Rechnungsbetrag", "Bruttobetrag", "Summe brutto"],
        due_amount=["Zahlbetrag", "Offener Betrag", "Noch zu zahlen"],
        deposit=["abzgl. Anzahlung vom {date}", "abzüglich Abschlagszahlung", "Bereits bezahlt"], discount=["Rabatt {pct}", "Treuerabatt {pct}"],
        page=["Seite {page} von {pages}", "Seite {page}/{pages}"], carried=["Übertrag", "Zwischensumme Übertrag"], brought=["Übertrag", "Übertrag Vorseite"],
        reverse=["Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, § 13b UStG).", "Steuerschuldnerschaft des Leistungsempfängers.",
                 "Innergemeinschaftliche Leistung, Steuerschuldnerschaft des Leistungsempfängers."],
        credit_ref=["Gutschrift zu Rechnung Nr. {ref} vom {ref_date}.", "Bezug: Rechnung {ref} vom {ref_date}."],
        original=["Ursprungsrechnung", "Zu Rechnung", "Bezug Rechnung"],
        terms=["Zahlbar innerhalb von {days} Tagen ohne Abzug.", "Bitte geben Sie bei Zahlung die Rechnungsnummer {number} an.", "Zahlungsziel: {days} Tage netto."],
        terms_due=["Bitte überweisen Sie {amount} bis zum {due} auf unser Konto.", "Zahlbar ohne Abzug bis {due}."],
        skonto=["Bei Zahlung innerhalb von {days} Tagen {pct} Skonto, Zahlbetrag dann {amount}.", "Skonto: {pct} bei Zahlung binnen {days} Tagen = {amount}."],
        credit_terms=["Den Betrag von {amount} überweisen wir auf Ihr Konto.", "Der Betrag von {amount} wird mit der nächsten Rechnung verrechnet."],
        bank=["Bankverbindung", "Bank", "Konto"], phone=["Tel.", "Telefon", "Fon"], details=["Rechnungsdetails", "Details"]),
    "da": dict(
        base=["Grundlag", "Momsgrundlag"], vat_amount=["Momsbeløb", "Moms"], 
        title=["Faktura", "FAKTURA"], credit_title=["Kreditnota", "KREDITNOTA"],
        number=["Fakturanr.", "Fakturanummer", "Faktura nr."], credit_number=["Kreditnotanr.", "Kreditnota nr."],
        date=["Fakturadato", "Dato"], due=["Forfaldsdato", "Betalingsfrist", "Forfald"],
        delivery=["Leveringsdato", "Leveret"], customer_no=["Kundenr.", "Kundenummer"],
        order_no=["Deres ordrenr.", "Ordrenr.", "Rekvisition"], customer_vat=["Deres CVR-nr.", "Kundens momsnr."],
        vat_id=["CVR-nr.", "Momsnr.", "CVR/moms-nr."], bill_to=["Faktureres til", "Kunde", "Til"],
        desc=["Beskrivelse", "Varetekst", "Tekst"], qty=["Antal", "Stk."], unit=["Enhed"], price=["Stykpris", "Enhedspris", "Pris"],
        vat_col=["Moms", "Moms %"], amount=["Beløb", "Pris i alt"], pos=["Nr.", "Linje"], article=["Varenr.", "Vare nr."],
        net=["Subtotal", "Beløb ekskl. moms", "Netto", "Total ekskl. moms"], vat_line=["Moms {pct}", "{pct} moms", "Moms {pct} af {base}"],
        vat_total=["Moms i alt", "Momsbeløb"], gross=["I alt", "Total inkl. moms", "Fakturabeløb"],
        due_amount=["At betale", "Beløb til betaling", "Restbeløb"],
        deposit=["Forudbetalt {date}", "Fratrukket acontobetaling", "A conto betalt"], discount=["Rabat {pct}", "Mængderabat {pct}"],
        page=["Side {page} af {pages}", "Side {page}/{pages}"], carried=["Transport", "Overført"], brought=["Transport", "Overført fra forrige side"],
        reverse=["Omvendt betalingspligt – køber afregner momsen.", "Omvendt betalingspligt (reverse charge).",
                 "Salg uden moms, omvendt betalingspligt, jf. momslovens § 46."],
        credit_ref=["Kreditnota vedr. faktura {ref} af {ref_date}.", "Vedrørende faktura nr. {ref} af {ref_date}."],
        original=["Oprindelig faktura", "Vedr. faktura"],
        terms=["Betalingsbetingelser: netto {days} dage.", "Ved betaling bedes fakturanr. {number} angivet.", "Netto {days} dage."],
        terms_due=["Beløbet {amount} bedes indbetalt senest {due}.", "Betales senest {due}."],
        skonto=["Ved betaling inden {days} dage ydes {pct} kontantrabat: {amount}."],
        credit_terms=["Beløbet {amount} modregnes i næste faktura.", "Beløbet {amount} tilbagebetales til Deres konto."],
        bank=["Bank", "Bankoplysninger", "Betaling til"], phone=["Tlf.", "Telefon"], details=["Fakturaoplysninger", "Detaljer"]),
    "it": dict(
        base=["Imponibile", "Base imponibile"], vat_amount=["Imposta", "IVA"], 
        title=["Fattura", "FATTURA", "Fattura - copia di cortesia"], credit_title=["Nota di credito", "NOTA DI CREDITO"],
        number=["Numero fattura", "Fattura n.", "N. documento", "Numero"], credit_number=["Nota di credito n.", "N. documento", "Numero"],
        date=["Data fattura", "Data", "Data documento"], due=["Scadenza", "Data scadenza", "Scadenza pagamento"],
        delivery=["Data consegna", "Data DDT"], customer_no=["Codice cliente", "Cod. cliente", "Cliente n."],
        order_no=["Vs. ordine", "Rif. ordine", "N. ordine"], customer_vat=["P.IVA cliente", "Partita IVA cliente", "Vs. P.IVA"],
        vat_id=["P.IVA", "Partita IVA", "P. IVA"], bill_to=["Destinatario", "Spett.le", "Cliente", "Intestatario"],
        desc=["Descrizione", "Descrizione articolo", "Articolo"], qty=["Q.tà", "Quantità", "Qtà"], unit=["U.M."],
        price=["Prezzo", "Prezzo unitario", "Prezzo unit."], vat_col=["IVA", "Aliq. IVA", "% IVA"], amount=["Importo", "Totale", "Imponibile"],
        pos=["Riga", "N."], article=["Codice", "Cod. art."],
        net=["Totale imponibile", "Imponibile", "Totale netto"], vat_line=["IVA {pct}", "IVA {pct} su {base}", "Imposta {pct}"],
        vat_total=["Totale IVA", "Totale imposta"], gross=["Totale documento", "Totale fattura", "Totale"],
        due_amount=["Netto a pagare", "Totale da pagare", "Importo dovuto"],
        deposit=["Acconto versato il {date}", "Meno acconto", "Anticipo ricevuto"], discount=["Sconto {pct}", "Sconto commerciale {pct}"],
        page=["Pagina {page} di {pages}", "Pag. {page}/{pages}"], carried=["A riportare", "Riporto"], brought=["Riporto", "Riporto da pagina precedente"],
        reverse=["Inversione contabile – art. 7-ter DPR 633/72.", "Operazione non imponibile, inversione contabile (reverse charge).",
                 "Inversione contabile ai sensi dell'art. 17 DPR 633/72."],
        credit_ref=["Nota di credito a storno della fattura n. {ref} del {ref_date}.", "Rif. fattura n. {ref} del {ref_date}."],
        original=["Fattura di riferimento", "Rif. fattura", "Storno fattura"],
        terms=["Pagamento: bonifico bancario a {days} giorni data fattura.", "Indicare il numero {number} nella causale del bonifico.", "Bonifico {days} gg d.f."],
        terms_due=["Pagamento di {amount} entro il {due} tramite bonifico.", "Scadenza pagamento: {due}."],
        skonto=["Sconto {pct} per pagamento entro {days} giorni: importo {amount}."],
        credit_terms=["L'importo di {amount} sarà compensato con la prossima fattura.", "Rimborseremo {amount} sul Vostro conto."],
        bank=["Coordinate bancarie", "Banca", "Appoggio bancario"], phone=["Tel.", "Telefono"], details=["Dati documento", "Dettagli"]),
    "fr": dict(
        base=["Base HT", "Base"], vat_amount=["Montant TVA", "TVA"], 
        title=["Facture", "FACTURE"], credit_title=["Avoir", "Facture d'avoir", "AVOIR"],
        number=["N° de facture", "Facture n°", "Numéro", "Numéro de facture"], credit_number=["N° d'avoir", "Avoir n°", "Numéro"],
        date=["Date de facture", "Date", "Date d'émission"], due=["Date d'échéance", "Échéance", "À régler avant le"],
        delivery=["Date de livraison", "Date d'exécution"], customer_no=["N° client", "Code client", "Réf. client"],
        order_no=["Votre commande", "N° de commande", "Bon de commande"], customer_vat=["N° TVA client", "TVA intracom. client", "Votre n° TVA"],
        vat_id=["N° TVA intracommunautaire", "TVA intracom.", "N° TVA"], bill_to=["Client", "Facturé à", "Adresse de facturation", "Destinataire"],
        desc=["Désignation", "Description", "Libellé"], qty=["Qté", "Quantité"], unit=["Unité", "U."],
        price=["Prix unitaire HT", "P.U. HT", "Prix unit."], vat_col=["TVA", "Taux TVA"], amount=["Montant HT", "Total HT", "Montant"],
        pos=["N°", "Ligne"], article=["Réf.", "Référence"],
        net=["Total HT", "Montant HT", "Total hors taxes"], vat_line=["TVA {pct}", "TVA {pct} sur {base}", "TVA à {pct}"],
        vat_total=["Total TVA", "Montant TVA"], gross=["Total TTC", "Montant TTC", "Total toutes taxes comprises"],
        due_amount=["Net à payer", "Reste à payer", "Montant dû"],
        deposit=["Acompte versé le {date}", "Déduction acompte", "Acompte reçu"], discount=["Remise {pct}", "Remise commerciale {pct}"],
        page=["Page {page} sur {pages}", "Page {page}/{pages}"], carried=["À reporter", "Report"], brought=["Report", "Report page précédente"],
        reverse=["Autoliquidation – TVA due par le preneur (art. 283-2 du CGI).", "Autoliquidation.",
                 "Exonération de TVA, article 262 ter I du CGI – autoliquidation par le preneur."],
        credit_ref=["Avoir sur facture n° {ref} du {ref_date}.", "Annule partiellement la facture {ref} du {ref_date}."],
        original=["Facture d'origine", "Réf. facture", "Facture concernée"],
        terms=["Conditions de paiement : {days} jours date de facture.", "Pas d'escompte pour paiement anticipé.",
               "Pénalités de retard : 3 fois le taux d'intérêt légal. Indemnité forfaitaire de recouvrement : 40 €."],
        terms_due=["Règlement de {amount} à effectuer avant le {due}.", "Date limite de paiement : {due}."],
        skonto=["Escompte de {pct} pour paiement sous {days} jours, soit {amount}."],
        credit_terms=["Le montant de {amount} sera déduit de votre prochaine facture.", "Nous vous remboursons {amount} par virement."],
        bank=["Coordonnées bancaires", "Banque", "Règlement par virement"], phone=["Tél.", "Téléphone"], details=["Détails de la facture", "Informations"]),
}

# --------------------------------------------------------------------------------------------
# The invoice model and its ground truth.
# --------------------------------------------------------------------------------------------


@dataclass
class Party:
    name: str
    address: list
    country: str
    vat_id: Optional[str] = None
    vat_printed: Optional[str] = None
    phone: str = ""
    email: str = ""
    registration: list = field(default_factory=list)
    iban: str = ""
    bic: str = ""
    bank: str = ""


@dataclass
class Line:
    description: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal
    rate: Decimal
    unit: str = ""
    article: str = ""


@dataclass
class Invoice:
    name: str
    layout: str
    language: str
    regime: str
    document_type: str
    rng: random.Random
    supplier: Party
    customer: Party
    currency: str
    labels: dict
    number_style: str
    money_pattern: str
    date_style: str
    pct_sep: str
    number: str = ""
    issue: date = None
    due: Optional[date] = None
    due_in_meta: bool = True
    delivery: Optional[date] = None
    customer_no: str = ""
    order_no: str = ""
    original_number: str = ""
    original_date: Optional[date] = None
    extras_first: bool = False
    lines: list = field(default_factory=list)
    vat_rows: list = field(default_factory=list)
    net: Decimal = Decimal(0)
    vat: Decimal = Decimal(0)
    gross: Decimal = Decimal(0)
    deposit: Decimal = Decimal(0)
    deposit_date: Optional[date] = None
    print_due_line: bool = False
    show_vat_total: bool = False
    print_negative: bool = True
    carry_forward: bool = False
    multipage: bool = False
    page_numbers_on_single: bool = False
    notes: list = field(default_factory=list)
    pages: int = 1


def compute_totals(inv):
    """VAT per rate on the rate's base, like samples/generate.py compute()."""
    breakdown = {}
    for line in inv.lines:
        breakdown[line.rate] = breakdown.get(line.rate, Decimal(0)) + line.net
    # copy_abs on zero: a 0 % rate on a negative base would otherwise print as "-0.00".
    inv.vat_rows = [(rate, base, amount.copy_abs() if amount == 0 else amount)
                    for rate, base in sorted(breakdown.items())
                    for amount in [(base * rate / 100).quantize(CENT, ROUND_HALF_UP)]]
    inv.net = sum((base for _, base, _ in inv.vat_rows), Decimal(0))
    inv.vat = sum((amount for *_, amount in inv.vat_rows), Decimal(0))
    inv.gross = inv.net + inv.vat


def rate_text(rate):
    return f"{rate.normalize():f}"


def expected_json(inv, amount_due_rule):
    """The ground truth, in the schema of samples/*.expected.json."""
    due_line = inv.gross - inv.deposit if inv.print_due_line else None
    if amount_due_rule == "differs":
        amount_due = due_line if inv.deposit else None
    else:
        amount_due = due_line
    return {
        "document_type": inv.document_type,
        "invoice_number": inv.number,
        "issue_date": inv.issue.isoformat(),
        "due_date": inv.due.isoformat() if inv.due else None,
        "currency": inv.currency,
        "net_total": f"{inv.net:.2f}",
        "vat_total": f"{inv.vat:.2f}",
        "gross_total": f"{inv.gross:.2f}",
        "amount_due": f"{amount_due:.2f}" if amount_due is not None else None,
        "supplier_name": inv.supplier.name,
        "supplier_vat_id": inv.supplier.vat_id,
        "customer_name": inv.customer.name,
        "iban": inv.supplier.iban,
        "vat_breakdown": [{"rate": rate_text(rate), "base": f"{base:.2f}", "amount": f"{amount:.2f}"}
                          for rate, base, amount in inv.vat_rows],
        "lines": [{"description": line.description, "quantity": f"{line.quantity.normalize():f}",
                   "unit_price": f"{line.unit_price:.2f}", "net_amount": f"{line.net:.2f}",
                   "vat_rate": rate_text(line.rate)} for line in inv.lines],
    }


# --------------------------------------------------------------------------------------------
# Making one invoice's data.
# --------------------------------------------------------------------------------------------


def fill(pattern, rng):
    """Replace each # with a random digit."""
    return "".join(str(rng.randint(0, 9)) if ch == "#" else ch for ch in pattern)


def company_name(rng, country, role):
    stems, trades, clients, forms, patterns = NAMES[country]
    name = rng.choice(patterns).format(stem=rng.choice(stems), form=rng.choice(forms),
                                       trade=rng.choice(trades if role == "supplier" else clients))
    return " ".join(name.split())


def address_lines(rng, country):
    streets, cities = ADDRESSES[country]
    street, number = rng.choice(streets), rng.randint(1, 180)
    postcode, city = rng.choice(cities)
    if country == "FR":
        return [f"{number}, {street}" if rng.random() < 0.5 else f"{number} {street}", f"{postcode} {city}"]
    if country == "GB":
        return [f"{number} {street}", f"{city} {postcode}"]
    return [f"{street} {number}", f"{postcode} {city}"]


def print_vat_id(vat_id, rng, bare_allowed):
    """One of the ways the id is printed; the normalised form stays the ground truth."""
    country, digits = vat_id[:2], vat_id[2:]
    if country == "CH":
        d = vat_id[3:]
        return f"CHE-{d[:3]}.{d[3:6]}.{d[6:]} MWST"
    forms = {"NL": [vat_id, f"NL {digits[:9]} {digits[9:]}"],
             "BE": [vat_id, f"BE {digits[:4]}.{digits[4:7]}.{digits[7:]}", f"BE {digits[:4]} {digits[4:7]} {digits[7:]}"],
             "DE": [vat_id, f"DE {digits[:3]} {digits[3:6]} {digits[6:]}", f"DE {digits}"],
             "DK": [vat_id, f"DK {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}"],
             "IT": [vat_id, f"IT {digits}"],
             "FR": [vat_id, f"FR {digits[:2]} {digits[2:5]} {digits[5:8]} {digits[8:]}", f"FR{digits[:2]} {digits[2:]}"],
             "GB": [vat_id, f"GB {digits[:3]} {digits[3:7]} {digits[7:]}"]}[country]
    if bare_allowed:
        forms.append({"DK": digits, "IT": digits, "GB": f"{digits[:3]} {digits[3:7]} {digits[7:]}"}[country])
    return rng.choice(forms)


def registration_lines(rng, country, vat_id, city):
    """Registration numbers a naive reader may take for the VAT id or the invoice number."""
    digits = vat_id[2:]
    if country == "NL":
        return [f"{rng.choice(['KvK', 'KvK-nr.', 'Kamer van Koophandel'])} {random_digits(rng, 8)}"]
    if country == "BE":
        return [f"Ondernemingsnr. {digits[:4]}.{digits[4:7]}.{digits[7:]}", f"RPR {city.split()[-1]}"]
    if country == "DE":
        court = rng.choice(["München", "Köln", "Hamburg", "Stuttgart", "Leipzig"])
        return [f"Amtsgericht {court} HRB {random_digits(rng, 5)}",
                f"Steuernummer {random_digits(rng, 3)}/{random_digits(rng, 3)}/{random_digits(rng, 5)}"]
    if country == "CH":
        return [f"Handelsregister des Kantons {rng.choice(['Zürich', 'Bern', 'Basel-Stadt', 'Luzern'])}"]
    if country == "DK":
        return [f"CVR-nr. {digits}"]
    if country == "IT":
        capital = fmt_number(Decimal(rng.choice([10000, 20000, 50000])), "eu", 0)
        return [f"REA {rng.choice(['MI', 'FI', 'RM', 'BO', 'TO'])}-{random_digits(rng, 6)}",
                f"Capitale sociale € {capital} i.v.", f"Cod. fisc. {digits}"]
    if country == "FR":
        siren = digits[2:]
        capital = fmt_number(Decimal(rng.choice([5000, 10000, 50000])), "fr", 0)
        return [f"SIRET {siren[:3]} {siren[3:6]} {siren[6:]} {random_digits(rng, 5, False)}",
                f"RCS {city.split()[-1]} {siren[:3]} {siren[3:6]} {siren[6:]}", f"Capital {capital} €"]
    if country == "GB":
        return [f"{rng.choice(['Registered in England and Wales No.', 'Company No.'])} {random_digits(rng, 8, False)}"]
    return []


def make_party(rng, country, language, role, printed):
    address = address_lines(rng, country)
    name = company_name(rng, country, role)
    party = Party(name=name, address=address, country=country, vat_id=make_vat_id(country, rng))
    bare = (country, language) in {("DK", "da"), ("IT", "it"), ("GB", "en")}
    party.vat_printed = print_vat_id(party.vat_id, rng, bare and role == "supplier")
    if not printed:
        party.vat_printed = None
    if role == "supplier":
        slug = (name.split()[0] + name.split()[1]).translate(str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "ß": "ss"}))
        slug = unicodedata.normalize("NFKD", slug).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z]", "", slug.lower())
        party.phone = fill(rng.choice(PHONES[country]), rng)
        party.email = f"{MAILBOXES[language]}@{slug}.{DOMAINS[country]}"
        party.registration = registration_lines(rng, country, party.vat_id, address[1])
        bank_code, party.bic, party.bank = rng.choice(BANKS[country])
        party.iban = make_iban(country, bank_code, rng)
    return party


def money(inv, value, sign=True):
    """An amount with the currency, as this invoice prints totals."""
    return inv.money_pattern.format(v=fmt_number(shown(inv, value) if sign else value, inv.number_style))


def shown(inv, value):
    """Credit notes print their (negative) amounts either negative or as positive figures."""
    return value if inv.print_negative else abs(value)


def fmt_number(value, style, places=2):
    negative = value < 0
    whole, _, frac = f"{abs(value):.{places}f}".partition(".")
    group, decimal_mark = SEPARATORS[style]
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = group.join([whole] + groups) + (decimal_mark + frac if frac else "")
    return "-" + text if negative else text


def num(inv, value):
    return fmt_number(shown(inv, value), inv.number_style)


def qty(inv, value):
    places = max(0, -value.normalize().as_tuple().exponent)
    return fmt_number(shown(inv, value), inv.number_style, places)


def pct(inv, rate):
    places = max(0, -rate.normalize().as_tuple().exponent)
    return fmt_number(rate, inv.number_style, places) + inv.pct_sep + "%"


def day(inv, value):
    month = MONTHS[inv.language].split()[value.month - 1]
    style, lang = inv.date_style, inv.language
    if style in ("dmy-", "dmy.", "dmy/"):
        return f"{value.day:02d}{style[-1]}{value.month:02d}{style[-1]}{value.year}"
    if style == "iso":
        return value.isoformat()
    if style == "long_us":
        return f"{month} {value.day}, {value.year}"
    if style == "short":
        return f"{value.day} {month[:3]} {value.year}"
    if lang in ("de", "da"):
        return f"{value.day}. {month} {value.year}"
    if lang == "fr" and value.day == 1:
        return f"1er {month} {value.year}"
    return f"{value.day} {month} {value.year}"


def pick_items(rng, inv, country, n_lines):
    catalog = ITEMS[inv.language]
    standard = [item for item in catalog if item[3] == "std"]
    reduced = [item for item in catalog if item[3] in ("red", "red2")]
    zero = [item for item in catalog if item[3] == "zero"]
    if inv.regime == "multi":
        picks = [rng.choice(standard), rng.choice(reduced)]
        picks += [rng.choice(standard + reduced) for _ in range(n_lines - 2)]
        rng.shuffle(picks)
    elif inv.regime == "zero_line":
        picks = [rng.choice(standard) for _ in range(max(n_lines - 1, 1))]
        picks.insert(rng.randint(0, len(picks)), rng.choice(zero))
    else:
        picks = [rng.choice(standard) for _ in range(n_lines)]
    return picks


def make_lines(rng, inv, country, n_lines):
    standard, reduced = RATES[country]
    used = set()
    for description, low, high, kind, quantity_kind in pick_items(rng, inv, country, n_lines):
        if description in used:  # keep descriptions unique, as the line matching needs
            free = [v for v in VARIANTS[inv.language] if f"{description}, {v}" not in used and v not in description]
            description = (f"{description}, {rng.choice(free)}" if free else
                           f"{description}, {DELIVERY_NOTE[inv.language]} {rng.randint(10000, 99999)}")
        used.add(description)
        price = (Decimal(rng.randint(round(low * 100), round(high * 100))) / 100).quantize(CENT)
        if quantity_kind == "h":
            quantity = Decimal(rng.randint(1, 32)) / 2
        elif quantity_kind == "m":
            quantity = Decimal(rng.randint(5, 250)) if rng.random() < 0.5 else Decimal(rng.randint(50, 2500)) / 10
        elif quantity_kind == "flat":
            quantity = Decimal(1)
        else:
            quantity = Decimal(rng.choice([250, 500, 1000, 2500]) if high < 1 else
                               rng.choice([1, 1, 2, 3, 4, 5, 6, 8, 10, 12, 20, 24, 50]))
        if inv.document_type == "credit_note":
            quantity = -quantity
        rate = {"std": standard, "red": (reduced or [standard])[0], "red2": (reduced or [standard])[-1], "zero": "0"}[kind]
        if inv.regime == "reverse_charge":
            rate = "0"
        inv.lines.append(Line(description, quantity, price, (quantity * price).quantize(CENT, ROUND_HALF_UP),
                              Decimal(rate), UNITS[inv.language][quantity_kind], random_digits(rng, rng.choice([5, 6]))))


def make_invoice(index, layout, language, seed, multipage, credit):
    rng = random.Random(f"stapel-synth:{seed}:{index}")
    countries, weights = zip(*SUPPLIER_COUNTRIES[language])
    country = rng.choices(countries, weights)[0]
    regime = rng.choices(["standard", "multi", "zero_line", "reverse_charge"], [35, 25, 15, 25])[0]
    if regime == "multi" and not RATES[country][1]:
        regime = "zero_line"
    if regime == "reverse_charge" and country == "CH":
        regime = "standard"
    labels = {key: rng.choice(options) for key, options in LABELS[language].items()}
    if credit:
        labels["title"], labels["number"] = labels["credit_title"], labels["credit_number"]
    if country == "CH":
        labels["vat_id"] = rng.choice(["MWST-Nr.", "UID"])
    customer_country = rng.choice([c for c in EU if c != country]) if regime == "reverse_charge" else country
    if regime == "reverse_charge" and country == "GB":
        customer_country = rng.choice(["NL", "DE", "FR", "IT"])
    supplier = make_party(rng, country, language, "supplier", True)
    customer = make_party(rng, customer_country, language, "customer",
                          printed=regime == "reverse_charge" or rng.random() < (0.8 if country == "IT" else 0.45))
    if customer.name == supplier.name:
        customer.name += " " + {"en": "Holdings", "nl": "Holding", "de": "Holding", "da": "Holding",
                                "it": "Holding", "fr": "Holding"}[language]
    if customer_country != country:
        customer.address.append(COUNTRY_NAMES[language][customer_country])
    if rng.random() < 0.3:
        customer.address.insert(0, ATTENTION[language])
    currency = CURRENCY[country]
    if currency == "EUR":
        patterns = {"de": ["{v} €", "{v} €", "{v} EUR", "EUR {v}"], "fr": ["{v} €", "{v} €", "{v} EUR"],
                    "en": ["€{v}", "€ {v}", "EUR {v}"]}.get(language, ["€ {v}", "€ {v}", "EUR {v}", "{v} €"])
    else:
        patterns = {"DKK": ["kr. {v}", "{v} kr.", "DKK {v}", "{v} DKK"], "GBP": ["£{v}", "£{v}", "£ {v}", "GBP {v}"],
                    "CHF": ["CHF {v}", "CHF {v}", "{v} CHF", "Fr. {v}"]}[currency]
    inv = Invoice(
        name=f"{index:04d}_{language}_{layout}", layout=layout, language=language, regime=regime,
        document_type="credit_note" if credit else "invoice", rng=rng, supplier=supplier, customer=customer,
        currency=currency, labels=labels,
        number_style="ch" if country == "CH" else rng.choice(NUMBER_STYLES[language]),
        money_pattern=rng.choice(patterns),
        date_style="dmy." if country == "CH" else rng.choice(DATE_STYLES[language]),
        pct_sep=NBSP if language == "fr" else (" " if rng.random() < (0.5 if language == "de" else 0.2) else ""),
        multipage=multipage)

    # Numbers and dates.
    year = rng.choice([2025, 2026])
    inv.issue = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))

    def serial():
        return {"year": year, "yy": f"{year % 100:02d}", "n3": f"{rng.randint(1, 999):03d}",
                "n4": f"{rng.randint(1, 9999):04d}", "n5": str(rng.randint(10000, 99999)),
                "n6": str(rng.randint(100000, 999999))}

    pattern = CREDIT_PATTERNS[language] if credit else rng.choice(NUMBER_PATTERNS[language])
    inv.number = pattern.format(**serial())
    days = rng.choice([8, 10, 14, 14, 21, 30, 30, 45, 60])
    if not credit or rng.random() < 0.5:
        inv.due = inv.issue + timedelta(days=days)
    inv.due_in_meta = rng.random() < 0.75
    if rng.random() < 0.6:
        inv.delivery = inv.issue - timedelta(days=rng.randint(0, 10))
    if rng.random() < 0.7:
        inv.customer_no = rng.choice(["K{n5}", "{n6}", "C-{n5}", "D{n5}"]).format(**serial())
    if rng.random() < 0.5:
        inv.order_no = rng.choice(["PO-{n6}", "4500{n6}", "BE-{n6}", "{n6}"]).format(**serial())
    inv.extras_first = rng.random() < 0.25
    if credit:
        inv.original_date = inv.issue - timedelta(days=rng.randint(5, 60))
        inv.original_number = rng.choice(NUMBER_PATTERNS[language]).format(**serial())
        inv.print_negative = rng.random() < 0.6

    # Lines and totals.
    if multipage:
        n_lines = rng.randint(25, 80)
    elif credit:
        n_lines = rng.randint(1, 4)
    else:
        n_lines = rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 7, 8, 10, 12])
    make_lines(rng, inv, country, n_lines)
    if not credit and rng.random() < 0.15:
        rate = inv.lines[0].rate
        percent = Decimal(rng.choice([2, 3, 5, 10]))
        base = sum(line.net for line in inv.lines if line.rate == rate)
        amount = -(base * percent / 100).quantize(CENT, ROUND_HALF_UP)
        inv.lines.append(Line(labels["discount"].format(pct=pct(inv, percent)), Decimal(1), amount, amount, rate,
                              UNITS[language]["flat"], ""))
    compute_totals(inv)
    if not credit and rng.random() < 0.12:
        inv.deposit = (inv.gross * Decimal(rng.choice([20, 30, 50])) / 100).quantize(Decimal(1))
        inv.deposit_date = inv.issue - timedelta(days=rng.randint(10, 40))
    inv.print_due_line = not credit and (inv.deposit > 0 or layout == "modern" or rng.random() < 0.35)
    inv.show_vat_total = len(inv.vat_rows) > 1 or rng.random() < 0.2
    inv.carry_forward = multipage and rng.random() < 0.6
    inv.page_numbers_on_single = rng.random() < 0.3
    inv.notes = make_notes(inv, days)
    return inv


def make_notes(inv, days):
    """Reference, legend, payment terms and bank lines under the totals."""
    rng, labels, notes = inv.rng, inv.labels, []
    if inv.document_type == "credit_note":
        notes.append(labels["credit_ref"].format(ref=inv.original_number, ref_date=day(inv, inv.original_date)))
    if inv.regime == "reverse_charge":
        notes.append(labels["reverse"])
    payable = money(inv, inv.gross - inv.deposit)
    if inv.document_type == "credit_note":
        notes.append(labels["credit_terms"].format(amount=money(inv, abs(inv.gross), sign=False)))
        if inv.due and not inv.due_in_meta:
            notes.append(f"{labels['due']}: {day(inv, inv.due)}")
    else:
        terms = LABELS[inv.language]["terms"]
        if not inv.due_in_meta:
            notes.append(rng.choice(LABELS[inv.language]["terms_due"]))
        notes += rng.sample(terms, rng.randint(1, 2))
        notes = [n.format(days=days, number=inv.number, amount=payable, due=day(inv, inv.due) if inv.due else "")
                 for n in notes]
        if inv.deposit == 0 and rng.random() < 0.2:
            percent, within = Decimal(rng.choice([2, 3])), rng.choice([8, 10, 14])
            reduced = inv.gross - (inv.gross * percent / 100).quantize(CENT, ROUND_HALF_UP)
            notes.append(labels["skonto"].format(pct=pct(inv, percent), days=within, amount=money(inv, reduced)))
    iban = inv.supplier.iban
    printed = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.8 else iban
    bank_line = f"{labels['bank']}: {inv.supplier.bank} · IBAN {printed} · BIC {inv.supplier.bic}"
    if inv.supplier.country == "GB" and rng.random() < 0.5:
        sort_code = iban[8:14]
        bank_line += f" · Sort code {sort_code[:2]}-{sort_code[2:4]}-{sort_code[4:]}"
    notes.append(bank_line)
    return notes


def totals_rows(inv):
    """(label, amount, emphasis) rows of the totals block, in print order."""
    labels = inv.labels
    rows = [(labels["net"], money(inv, inv.net), False)]
    for rate, base, amount in inv.vat_rows:
        rows.append((labels["vat_line"].format(pct=pct(inv, rate), base=money(inv, base)), money(inv, amount), False))
    if inv.show_vat_total:
        rows.append((labels["vat_total"], money(inv, inv.vat), False))
    rows.append((labels["gross"], money(inv, inv.gross), True))
    if inv.deposit:
        rows.append((labels["deposit"].format(date=day(inv, inv.deposit_date)), money(inv, -inv.deposit), False))
    if inv.print_due_line:
        rows.append((labels["due_amount"], money(inv, inv.gross - inv.deposit), True))
    return rows


def meta_rows(inv, customer_vat=False):
    """Label/value pairs of the document data block; distractors sometimes come first."""
    labels = inv.labels
    rows = [(labels["number"], inv.number), (labels["date"], day(inv, inv.issue))]
    if inv.due and inv.due_in_meta:
        rows.append((labels["due"], day(inv, inv.due)))
    extras = []
    if inv.original_number:
        extras.append((labels["original"], inv.original_number))
    if inv.customer_no:
        extras.append((labels["customer_no"], inv.customer_no))
    if inv.order_no:
        extras.append((labels["order_no"], inv.order_no))
    if inv.delivery:
        extras.append((labels["delivery"], day(inv, inv.delivery)))
    if customer_vat and inv.customer.vat_printed:
        extras.append((labels["customer_vat"], inv.customer.vat_printed))
    return extras + rows if inv.extras_first else rows + extras


def footer_parts(inv):
    s = inv.supplier
    return [s.name, ", ".join(s.address), f"{inv.labels['vat_id']} {s.vat_printed}"] + s.registration


# --------------------------------------------------------------------------------------------
# Drawing: a table that flows over pages, then one function per layout.
# --------------------------------------------------------------------------------------------


@dataclass
class Table:
    # (header, x, align "l"/"r", cell(line) -> text, text line within the row)
    columns: list
    font: str = "Helvetica"
    bold: str = "Helvetica-Bold"
    size: float = 9
    row_height: float = 14
    header_height: float = 18
    label_x: float = LEFT
    amount_x: float = RIGHT
    decorate_header: Optional[Callable] = None
    decorate_row: Optional[Callable] = None


def put(pdf, x, y, text, font="Helvetica", size=9, align="l"):
    pdf.setFont(font, size)
    {"l": pdf.drawString, "r": pdf.drawRightString, "c": pdf.drawCentredString}[align](x, y, text)


def paginate(n_rows, first_top, next_top, bottom, table, totals_height, carry, min_pages):
    """Rows per page, so that the totals fit under the last rows of the last page."""
    counts, done, top = [], 0, first_top
    while True:
        room = top - table.header_height - bottom - (table.row_height if counts and carry else 0)
        capacity = int(room // table.row_height)
        remaining = n_rows - done
        fits = remaining <= capacity and room - remaining * table.row_height >= totals_height
        if fits and len(counts) + 1 >= min_pages:
            return counts + [remaining]
        take = min(remaining, capacity - (1 if carry else 0))
        if take >= remaining:  # the totals do not fit (or one page is too few): keep rows for them
            take = max(remaining - 3, 1) if remaining > 1 else remaining
        counts.append(take)
        done, top = done + take, next_top


def flow_table(pdf, inv, table, first_top, next_top, bottom, totals_height, chrome):
    """Draw the line items over as many pages as they need; return the y under the last row.

    chrome(page, pages) draws what every page carries (footer, page number, and on later pages
    a short header); the table header repeats on every page.
    """
    counts = paginate(len(inv.lines), first_top, next_top, bottom, table, totals_height, inv.carry_forward,
                      min_pages=2 if inv.multipage else 1)
    inv.pages = len(counts)
    line_gap = table.size + 2.5
    running, index, y = Decimal(0), 0, first_top
    for page, count in enumerate(counts, start=1):
        if page > 1:
            pdf.showPage()
            y = next_top
        chrome(page, inv.pages)
        if count == 0:
            continue
        if table.decorate_header:
            table.decorate_header(pdf, y)
        for header, x, align, _, row in table.columns:
            put(pdf, x, y - row * line_gap, header, table.bold, table.size, align)
        pdf.setFillGray(0)  # a header band may have switched to white text
        y -= table.header_height
        if page > 1 and inv.carry_forward:
            put(pdf, table.label_x, y, inv.labels["brought"], table.bold, table.size)
            put(pdf, table.amount_x, y, num(inv, running), table.bold, table.size, "r")
            y -= table.row_height
        for line in inv.lines[index:index + count]:
            if table.decorate_row:
                table.decorate_row(pdf, y, index)
            for _, x, align, cell, row in table.columns:
                put(pdf, x, y - row * line_gap, cell(line), table.font, table.size, align)
            running += line.net
            index += 1
            y -= table.row_height
        if page < inv.pages and inv.carry_forward:
            put(pdf, table.label_x, y, inv.labels["carried"], table.bold, table.size)
            put(pdf, table.amount_x, y, num(inv, running), table.bold, table.size, "r")
            y -= table.row_height
    return y


def page_label(inv, page, pages):
    if pages > 1 or inv.page_numbers_on_single:
        return inv.labels["page"].format(page=page, pages=pages)
    return ""


def continuation_header(pdf, inv, font, bold):
    """The short header of pages 2 and later; returns where the table starts."""
    put(pdf, LEFT, 800, inv.supplier.name, bold, 10)
    put(pdf, RIGHT, 800, f"{inv.labels['title']} {inv.number}", font, 9, "r")
    pdf.line(LEFT, 792, RIGHT, 792)
    return 770


def wrapped(texts, font, size, width):
    return [part for text in texts for part in simpleSplit(text, font, size, width)]


def layout_classic(pdf, inv):
    """Letterhead left, title right, address window, meta block right, table, totals right."""
    s, c, labels = inv.supplier, inv.customer, inv.labels
    put(pdf, LEFT, 782, s.name, "Helvetica-Bold", 16)
    y = 782
    for text in s.address + [f"{labels['phone']} {s.phone} · {s.email}"]:
        y -= 11
        put(pdf, LEFT, y, text, size=8.5)
    put(pdf, RIGHT, 780, labels["title"], "Helvetica-Bold", 20, "r")
    put(pdf, LEFT, 692, f"{s.name} · {s.address[0]} · {s.address[1]}", size=7)
    put(pdf, LEFT, 678, labels["bill_to"], "Helvetica-Bold", 8.5)
    y = 678
    for text in [c.name] + c.address:
        y -= 13
        put(pdf, LEFT, y, text, size=10)
    meta_y = 678
    for label, value in meta_rows(inv, customer_vat=True):
        put(pdf, 330, meta_y, label, size=9.5)
        put(pdf, RIGHT, meta_y, value, size=9.5, align="r")
        meta_y -= 13.5
    top = min(y, meta_y) - 30

    with_vat = inv.rng.random() < 0.5
    columns = [(labels["desc"], LEFT, "l", lambda l: l.description, 0),
               (labels["qty"], 340, "r", lambda l: qty(inv, l.quantity), 0),
               (labels["price"], 410 if with_vat else 440, "r", lambda l: num(inv, l.unit_price), 0)]
    if with_vat:
        columns.append((labels["vat_col"], 460, "r", lambda l: pct(inv, l.rate), 0))
    columns.append((labels["amount"], RIGHT, "r", lambda l: num(inv, l.net), 0))
    table = Table(columns, decorate_header=lambda pdf, y: pdf.line(LEFT, y - 4, RIGHT, y - 4))
    rows, notes = totals_rows(inv), wrapped(inv.notes, "Helvetica", 8.5, RIGHT - LEFT)

    def chrome(page, pages):
        if page > 1:
            continuation_header(pdf, inv, "Helvetica", "Helvetica-Bold")
        parts = footer_parts(inv)
        put(pdf, PAGE_WIDTH / 2, 52, " · ".join(parts[:3]), size=7, align="c")
        put(pdf, PAGE_WIDTH / 2, 43, " · ".join(parts[3:]), size=7, align="c")
        put(pdf, RIGHT, 28, page_label(inv, page, pages), size=8, align="r")

    y = flow_table(pdf, inv, table, top, 770, 70, 30 + 14 * len(rows) + 12 * len(notes), chrome)
    pdf.line(LEFT, y + 8, RIGHT, y + 8)
    y -= 10
    for label, value, strong in rows:
        font = "Helvetica-Bold" if strong else "Helvetica"
        put(pdf, 300, y, label, font, 9.5)
        put(pdf, RIGHT, y, value, font, 9.5, "r")
        y -= 14
    y -= 10
    for text in notes:
        put(pdf, LEFT, y, text, size=8.5)
        y -= 12


def layout_boxes(pdf, inv):
    """Title left, supplier right, meta as a row of label-over-value boxes, Pos./Art.-Nr. table."""
    s, c, labels = inv.supplier, inv.customer, inv.labels
    put(pdf, LEFT, 780, labels["title"], "Helvetica-Bold", 24)
    y = 790
    put(pdf, RIGHT, y, s.name, "Helvetica-Bold", 11, "r")
    for text in s.address + [f"{labels['phone']} {s.phone}", s.email, f"{labels['vat_id']}: {s.vat_printed}"]:
        y -= 10.5
        put(pdf, RIGHT, y, text, size=8, align="r")
    y = 700
    for text in [c.name] + c.address:
        put(pdf, LEFT, y, text, size=10)
        y -= 13
    if c.vat_printed:
        put(pdf, LEFT, y - 2, f"{labels['customer_vat']}: {c.vat_printed}", size=8.5)
        y -= 15
    boxes = meta_rows(inv)[:5]
    box_top, width = min(y, 640) - 14, (RIGHT - LEFT) / len(boxes)
    pdf.setLineWidth(0.5)
    for i, (label, value) in enumerate(boxes):
        x = LEFT + i * width
        pdf.rect(x, box_top - 30, width, 30)
        put(pdf, x + 4, box_top - 10, label, size=7)
        put(pdf, x + 4, box_top - 24, value, "Helvetica-Bold", 9)
    y = box_top - 48
    for label, value in meta_rows(inv)[5:]:  # what did not fit in the boxes
        put(pdf, LEFT, y, f"{label}: {value}", size=8.5)
        y -= 12
    top = y - 14

    def header_band(pdf, y):
        pdf.setFillGray(0.88)
        pdf.rect(LEFT - 3, y - 5, RIGHT - LEFT + 6, 15, stroke=0, fill=1)
        pdf.setFillGray(0)

    position = {id(line): str(i) for i, line in enumerate(inv.lines, start=1)}
    table = Table([(labels["pos"], 62, "r", lambda l: position[id(l)], 0),
                   (labels["article"], 70, "l", lambda l: l.article, 0),
                   (labels["desc"], 118, "l", lambda l: l.description, 0),
                   (labels["qty"], 372, "r", lambda l: qty(inv, l.quantity), 0),
                   (labels["unit"], 378, "l", lambda l: l.unit, 0),
                   (labels["price"], 470, "r", lambda l: num(inv, l.unit_price), 0),
                   (labels["amount"], RIGHT, "r", lambda l: num(inv, l.net), 0)],
                  size=8.5, row_height=13.5, decorate_header=header_band)
    rows, notes = totals_rows(inv), wrapped(inv.notes, "Helvetica", 8.5, RIGHT - LEFT)

    def chrome(page, pages):
        if page > 1:
            continuation_header(pdf, inv, "Helvetica", "Helvetica-Bold")
        pdf.line(LEFT, 66, RIGHT, 66)
        put(pdf, LEFT, 56, f"{s.bank} · IBAN {s.iban} · BIC {s.bic}", size=7)
        put(pdf, LEFT, 47, f"{s.name} · {' · '.join(s.registration)}", size=7)
        put(pdf, PAGE_WIDTH / 2, 28, page_label(inv, page, pages), size=8, align="c")

    y = flow_table(pdf, inv, table, top, 770, 76, 30 + 15 * len(rows) + 12 * len(notes), chrome)
    y -= 6
    for label, value, strong in rows:
        if strong:
            pdf.line(330, y + 11, RIGHT, y + 11)
        font = "Helvetica-Bold" if strong else "Helvetica"
        put(pdf, 460, y, label, font, 9.5, "r")
        put(pdf, RIGHT, y, value, font, 9.5, "r")
        y -= 15
    y -= 10
    for text in notes:
        put(pdf, LEFT, y, text, size=8.5)
        y -= 12


def layout_split(pdf, inv):
    """Customer left, supplier right; title line; grid table with a VAT column; boxed totals."""
    s, c, labels = inv.supplier, inv.customer, inv.labels
    font, bold = "Times-Roman", "Times-Bold"
    put(pdf, LEFT, 790, labels["bill_to"], bold, 9)
    y = 790
    for text in [c.name] + c.address + ([f"{labels['customer_vat']}: {c.vat_printed}"] if c.vat_printed else []):
        y -= 13
        put(pdf, LEFT, y, text, font, 10.5)
    sy = 790
    put(pdf, 340, sy, s.name, bold, 12)
    for text in s.address + [f"{labels['phone']} {s.phone}", s.email, f"{labels['vat_id']} {s.vat_printed}"] + s.registration[:1]:
        sy -= 11.5
        put(pdf, 340, sy, text, font, 9)
    y = min(y, sy) - 34
    meta = meta_rows(inv)
    if inv.rng.random() < 0.5:  # the number inside the title line, not in the data block
        title = TITLE_WITH_NUMBER[inv.language].format(title=labels["title"], number=inv.number)
        put(pdf, PAGE_WIDTH / 2, y, title, bold, 15, "c")
        meta = [row for row in meta if row[0] != labels["number"]]
    else:
        put(pdf, PAGE_WIDTH / 2, y, labels["title"], bold, 16, "c")
    y -= 26
    for i, (label, value) in enumerate(meta):
        x = LEFT if i % 2 == 0 else 300
        put(pdf, x, y, f"{label}:", bold, 9.5)
        put(pdf, x + 105, y, value, font, 9.5)
        if i % 2 == 1 or i == len(meta) - 1:
            y -= 14
    top = y - 22
    edges = [LEFT - 4, 300, 345, 415, 462, RIGHT + 4]

    def grid(pdf, y, height=None):
        height = height or 14
        pdf.setLineWidth(0.4)
        pdf.rect(edges[0], y - 4, edges[-1] - edges[0], height)
        for x in edges[1:-1]:
            pdf.line(x, y - 4, x, y - 4 + height)

    table = Table([(labels["desc"], LEFT, "l", lambda l: l.description, 0),
                   (labels["qty"], 341, "r", lambda l: qty(inv, l.quantity), 0),
                   (labels["price"], 411, "r", lambda l: num(inv, l.unit_price), 0),
                   (labels["vat_col"], 458, "r", lambda l: pct(inv, l.rate), 0),
                   (labels["amount"], RIGHT, "r", lambda l: num(inv, l.net), 0)],
                  font=font, bold=bold, size=9.5, row_height=14, header_height=14,
                  decorate_header=lambda pdf, y: grid(pdf, y), decorate_row=lambda pdf, y, i: grid(pdf, y))
    rows, notes = totals_rows(inv), wrapped(inv.notes, font, 9, RIGHT - LEFT)
    block = max(len(rows), len(inv.vat_rows) + 1) * 14

    def chrome(page, pages):
        if page > 1:
            continuation_header(pdf, inv, font, bold)
        put(pdf, PAGE_WIDTH / 2, 50, " – ".join(footer_parts(inv)[:1] + s.registration), font, 7.5, "c")
        put(pdf, PAGE_WIDTH / 2, 40, f"IBAN {s.iban} – BIC {s.bic} – {s.bank}", font, 7.5, "c")
        put(pdf, PAGE_WIDTH / 2, 26, page_label(inv, page, pages), font, 8, "c")

    y = flow_table(pdf, inv, table, top, 770, 66, 40 + block + 12 * len(notes), chrome) - 16
    # VAT summary box, left: rate, base, VAT.
    pdf.setLineWidth(0.5)
    pdf.rect(LEFT - 4, y - 4 - 14 * len(inv.vat_rows), 230, 14 * (len(inv.vat_rows) + 1))
    put(pdf, LEFT, y, labels["vat_col"], bold, 9)
    put(pdf, 160, y, labels["base"], bold, 9, "r")
    put(pdf, 220, y, labels["vat_amount"], bold, 9, "r")
    for i, (rate, base, amount) in enumerate(inv.vat_rows, start=1):
        put(pdf, LEFT, y - 14 * i, pct(inv, rate), font, 9)
        put(pdf, 160, y - 14 * i, num(inv, base), font, 9, "r")
        put(pdf, 220, y - 14 * i, num(inv, amount), font, 9, "r")
    # Totals box, right: the totals rows without the per-rate lines already in the summary.
    totals = [rows[0]] + [r for r in rows[1 + len(inv.vat_rows):]]
    if not inv.show_vat_total:
        totals.insert(1, (labels["vat_total"], money(inv, inv.vat), False))
    pdf.rect(330, y - 4 - 14 * (len(totals) - 1), RIGHT + 4 - 330, 14 * len(totals))
    for i, (label, value, strong) in enumerate(totals):
        put(pdf, 336, y - 14 * i, label, bold if strong else font, 10)
        put(pdf, RIGHT, y - 14 * i, value, bold if strong else font, 10, "r")
    y -= block + 20
    for text in notes:
        put(pdf, LEFT, y, text, font, 9)
        y -= 12


def layout_receipt(pdf, inv):
    """Narrow monospaced column: centred header, dot leaders, two-line item rows."""
    s, c, labels = inv.supplier, inv.customer, inv.labels
    font, bold, size = "Courier", "Courier-Bold", 8.5
    x0, x1, width = 130, 465, 64
    centre = (x0 + x1) / 2
    dots = inv.rng.random() < 0.6

    def leader(label, value):
        if dots:
            return f"{label} {'.' * max(2, width - len(label) - len(value) - 2)} {value}"
        return f"{label:<22}: {value}"

    y = 800
    put(pdf, centre, y, s.name, bold, 11, "c")
    for text in s.address + [f"{labels['phone']} {s.phone}", f"{labels['vat_id']} {s.vat_printed}"]:
        y -= 10.5
        put(pdf, centre, y, text, font, size, "c")
    y -= 14
    pdf.setDash(2, 2)
    pdf.line(x0, y, x1, y)
    y -= 20
    put(pdf, centre, y, labels["title"].upper(), bold, 12, "c")
    y -= 20
    for label, value in meta_rows(inv, customer_vat=True):
        put(pdf, x0, y, leader(label, value), font, size)
        y -= 11
    y -= 6
    put(pdf, x0, y, f"{labels['bill_to']}:", bold, size)
    for text in [c.name] + c.address:
        y -= 11
        put(pdf, x0 + 20, y, text, font, size)
    top = y - 24

    def rule(pdf, y):
        pdf.line(x0, y + 11, x1, y + 11)
        pdf.line(x0, y - 15, x1, y - 15)

    quantity_times_price = lambda l: f"{qty(inv, l.quantity)} x {num(inv, l.unit_price)}"
    table = Table([(labels["desc"], x0, "l", lambda l: l.description, 0),
                   (f"{labels['qty']} x {labels['price']}", x0 + 14, "l", quantity_times_price, 1),
                   (labels["vat_col"], x0 + 235, "r", lambda l: pct(inv, l.rate), 1),
                   (labels["amount"], x1, "r", lambda l: num(inv, l.net), 1)],
                  font=font, bold=bold, size=size, row_height=25, header_height=30,
                  label_x=x0, amount_x=x1, decorate_header=rule)
    rows = totals_rows(inv)
    notes = [part for text in inv.notes for part in textwrap.wrap(text, width)]

    def chrome(page, pages):
        if page > 1:
            put(pdf, centre, 800, f"{s.name} - {labels['title']} {inv.number}", bold, 9, "c")
        put(pdf, centre, 40, page_label(inv, page, pages), font, 8, "c")

    y = flow_table(pdf, inv, table, top, 770, 60, 40 + 12 * len(rows) + 11 * len(notes) + 40, chrome)
    pdf.line(x0, y + 10, x1, y + 10)
    y -= 6
    for label, value, strong in rows:
        put(pdf, x0, y, leader(label, value), bold if strong else font, size)
        y -= 12
    pdf.line(x0, y + 6, x1, y + 6)
    y -= 12
    for text in notes:
        put(pdf, x0, y, text, font, size)
        y -= 11
    y -= 8
    put(pdf, centre, y, " · ".join(s.registration), font, 7, "c")
    pdf.setDash()


def layout_modern(pdf, inv):
    """Amount due large at the top, totals above the table, three-column footer."""
    s, c, labels = inv.supplier, inv.customer, inv.labels
    accent = (0.12, 0.23, 0.40)
    pdf.setFillColorRGB(*accent)
    put(pdf, LEFT, 785, s.name, "Helvetica-Bold", 18)
    pdf.setFillGray(0.4)
    put(pdf, RIGHT, 788, labels["title"].upper(), "Helvetica", 11, "r")
    pdf.setFillGray(0)
    # Hero panel: what to pay (or, on a credit note, the credit), and until when.
    pdf.setFillGray(0.93)
    pdf.rect(330, 680, RIGHT - 330, 80, stroke=0, fill=1)
    pdf.setFillGray(0)
    credit = inv.document_type == "credit_note"
    hero_label = labels["gross"] if credit else labels["due_amount"]
    put(pdf, 342, 742, hero_label, size=9)
    put(pdf, 342, 712, money(inv, inv.gross if credit else inv.gross - inv.deposit), "Helvetica-Bold", 22)
    if inv.due:
        put(pdf, 342, 692, f"{labels['due']}: {day(inv, inv.due)}", size=9)
    put(pdf, LEFT, 750, labels["bill_to"].upper(), "Helvetica-Bold", 7.5)
    y = 750
    for text in [c.name] + c.address + ([f"{labels['customer_vat']} {c.vat_printed}"] if c.vat_printed else []):
        y -= 12
        put(pdf, LEFT, y, text, size=9.5)
    y = min(y, 670) - 20
    put(pdf, LEFT, y, labels["details"].upper(), "Helvetica-Bold", 7.5)
    for label, value in meta_rows(inv):
        y -= 12
        put(pdf, LEFT, y, label, size=9)
        put(pdf, 175, y, value, "Helvetica-Bold", 9)
    rows = totals_rows(inv)
    if not inv.multipage:  # totals at the top; on a long invoice they stay on the last page
        ty = 650
        for label, value, strong in rows:
            put(pdf, 320, ty, label, "Helvetica-Bold" if strong else "Helvetica", 9.5)
            put(pdf, RIGHT, ty, value, "Helvetica-Bold" if strong else "Helvetica", 9.5, "r")
            ty -= 14
        y = min(y, ty)
    top = y - 30

    def header_band(pdf, y):
        pdf.setFillColorRGB(*accent)
        pdf.rect(LEFT - 4, y - 5, RIGHT - LEFT + 8, 16, stroke=0, fill=1)
        pdf.setFillGray(1)

    def zebra(pdf, y, index):
        pdf.setFillGray(0)
        if index % 2:
            pdf.setFillGray(0.95)
            pdf.rect(LEFT - 4, y - 4, RIGHT - LEFT + 8, 15, stroke=0, fill=1)
            pdf.setFillGray(0)

    table = Table([(labels["desc"], LEFT, "l", lambda l: l.description, 0),
                   (labels["qty"], 360, "r", lambda l: qty(inv, l.quantity), 0),
                   (labels["price"], 445, "r", lambda l: num(inv, l.unit_price), 0),
                   (labels["amount"], RIGHT, "r", lambda l: num(inv, l.net), 0)],
                  row_height=15, header_height=20, decorate_header=header_band, decorate_row=zebra)
    notes = wrapped(inv.notes, "Helvetica", 8.5, RIGHT - LEFT)
    totals_height = 20 + 12 * len(notes) + (14 * len(rows) + 16 if inv.multipage else 0)

    def chrome(page, pages):
        if page > 1:
            continuation_header(pdf, inv, "Helvetica", "Helvetica-Bold")
        pdf.setFillGray(0)
        pdf.line(LEFT, 100, RIGHT, 100)
        columns = [(LEFT, [labels["bank"], s.bank, f"IBAN {s.iban}", f"BIC {s.bic}"]),
                   (225, [labels["vat_id"], s.vat_printed] + s.registration[1:]),
                   (400, [s.name] + s.address + s.registration[:1])]
        for x, texts in columns:
            for i, text in enumerate(texts):
                put(pdf, x, 88 - 9 * i, text, "Helvetica-Bold" if i == 0 else "Helvetica", 7)
        put(pdf, RIGHT, 22, page_label(inv, page, pages), size=8, align="r")

    y = flow_table(pdf, inv, table, top, 770, 110, totals_height, chrome)
    pdf.setFillGray(0)
    y -= 8
    if inv.multipage:
        for label, value, strong in rows:
            put(pdf, 320, y, label, "Helvetica-Bold" if strong else "Helvetica", 9.5)
            put(pdf, RIGHT, y, value, "Helvetica-Bold" if strong else "Helvetica", 9.5, "r")
            y -= 14
        y -= 10
    for text in notes:
        put(pdf, LEFT, y, text, size=8.5)
        y -= 12


LAYOUT_FUNCTIONS = {"classic": layout_classic, "boxes": layout_boxes, "split": layout_split,
                    "receipt": layout_receipt, "modern": layout_modern}


def draw(inv, path):
    pdf = canvas.Canvas(path, pagesize=A4, invariant=1, pageCompression=1)
    pdf.setTitle(f"{inv.labels['title']} {inv.number}")
    pdf.setAuthor(inv.supplier.name)
    pdf.setCreator("stapel bench/synth/generate.py")
    LAYOUT_FUNCTIONS[inv.layout](pdf, inv)
    pdf.showPage()
    pdf.save()


# --------------------------------------------------------------------------------------------
# Command line.
# --------------------------------------------------------------------------------------------


def plan(count, seed, layouts, languages, multipage_share, credit_share):
    """(index, layout, language, multipage, credit) for every invoice.

    Layout and language cycle through every combination, so even a small run covers each; the
    multi-page and credit-note invoices are exact shares, picked by the seed.
    """
    picker = random.Random(f"stapel-synth:{seed}:plan")
    indices = list(range(count))
    multipage = set(picker.sample(indices, round(count * multipage_share)))
    rest = [i for i in indices if i not in multipage]
    credit = set(picker.sample(rest, min(len(rest), round(count * credit_share))))
    combos = [(layout, language) for language in languages for layout in layouts]
    return [(i, *combos[i % len(combos)], i in multipage, i in credit) for i in indices]


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as out:
        json.dump(value, out, indent=2, ensure_ascii=False)
        out.write("\n")


def generate(args):
    os.makedirs(args.out_dir, exist_ok=True)
    manifest_path = os.path.join(args.out_dir, "manifest.json")
    previous = []
    if os.path.exists(manifest_path):  # remove what an earlier run wrote, so no stale invoice stays
        with open(manifest_path, encoding="utf-8") as src:
            previous = [entry["name"] for entry in json.load(src).get("invoices", [])]
    entries = []
    for index, layout, language, multipage, credit in plan(args.count, args.seed, args.layouts, args.languages,
                                                            args.multipage_share, args.credit_share):
        inv = make_invoice(index, layout, language, args.seed, multipage, credit)
        draw(inv, os.path.join(args.out_dir, inv.name + ".pdf"))
        write_json(os.path.join(args.out_dir, inv.name + ".expected.json"), expected_json(inv, args.amount_due_truth))
        entries.append({"name": inv.name, "layout": layout, "language": language, "regime": inv.regime,
                        "pages": inv.pages, "document_type": inv.document_type, "country": inv.supplier.country,
                        "currency": inv.currency, "lines": len(inv.lines), "deposit": inv.deposit > 0,
                        "customer_vat_id": inv.customer.vat_id if inv.customer.vat_printed else None})
    for name in set(previous) - {entry["name"] for entry in entries}:
        for suffix in (".pdf", ".expected.json"):
            stale = os.path.join(args.out_dir, name + suffix)
            if os.path.exists(stale):
                os.remove(stale)
    write_json(manifest_path, {"generator": "bench/synth/generate.py", "seed": args.seed, "count": args.count,
                               "amount_due_truth": args.amount_due_truth, "invoices": entries})
    print(f"wrote {len(entries)} invoices to {args.out_dir}")


def self_check(out_dir):
    """Validate every VAT id and IBAN, and the arithmetic, of what is in out_dir; False on failure."""
    known_good = {"ibans": ["GB82WEST12345698765432", "NL91ABNA0417164300", "DE89370400440532013000", "BE68539007547034",
                            "IT60X0542811101000000123456", "DK5000400440116243", "CH9300762011623852957",
                            "FR7630006000011234567890189"],
                  "vat_ids": ["DE136695976", "GB980780684", "NL812345678B01", "BE0123456749", "IT00743110157",
                              "FR40303265045", "DK31415926", "CHE116281710"]}
    problems = []
    for value in known_good["ibans"]:
        if not valid_iban(value) or valid_iban(value[:-1] + str((int(value[-1]) + 1) % 10)):
            problems.append(f"IBAN validator wrong on {value}")
    for value in known_good["vat_ids"]:
        at = 10 if value.startswith("NL") else len(value) - 1  # a digit the checksum covers
        if not valid_vat_id(value) or valid_vat_id(value[:at] + str((int(value[at]) + 1) % 10) + value[at + 1:]):
            problems.append(f"VAT validator wrong on {value}")
    with open(os.path.join(out_dir, "manifest.json"), encoding="utf-8") as src:
        entries = json.load(src)["invoices"]
    checked = 0
    for entry in entries:
        with open(os.path.join(out_dir, entry["name"] + ".expected.json"), encoding="utf-8") as src:
            truth = json.load(src)
        name = entry["name"]
        if not valid_vat_id(truth["supplier_vat_id"]):
            problems.append(f"{name}: supplier VAT id {truth['supplier_vat_id']}")
        if entry["customer_vat_id"] and not valid_vat_id(entry["customer_vat_id"]):
            problems.append(f"{name}: customer VAT id {entry['customer_vat_id']}")
        if not valid_iban(truth["iban"]):
            problems.append(f"{name}: IBAN {truth['iban']}")
        d, rows, lines = Decimal, truth["vat_breakdown"], truth["lines"]
        net, vat, gross = d(truth["net_total"]), d(truth["vat_total"]), d(truth["gross_total"])
        for line in lines:
            if d(line["net_amount"]) != (d(line["quantity"]) * d(line["unit_price"])).quantize(CENT, ROUND_HALF_UP):
                problems.append(f"{name}: {line['description']!r}: quantity x price is not the net amount")
        adds_up = (sum(d(line["net_amount"]) for line in lines) == net == sum(d(row["base"]) for row in rows)
                   and sum(d(row["amount"]) for row in rows) == vat and net + vat == gross)
        rounded = all((d(row["base"]) * d(row["rate"]) / 100).quantize(CENT, ROUND_HALF_UP) == d(row["amount"])
                      for row in rows)
        if not (adds_up and rounded):
            problems.append(f"{name}: totals do not add up")
        if "-0.00" in json.dumps(truth):
            problems.append(f"{name}: a negative zero")
        if (gross < 0) != (truth["document_type"] == "credit_note"):
            problems.append(f"{name}: sign of the gross total does not fit the document type")
        if truth["due_date"] and truth["due_date"] < truth["issue_date"]:
            problems.append(f"{name}: due before issue")
        checked += 1
    for problem in problems:
        print("self-check:", problem, file=sys.stderr)
    print(f"self-check: {checked} invoices, {len(problems)} problems")
    return not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--layouts", default=",".join(LAYOUTS), help="comma-separated subset of " + ",".join(LAYOUTS))
    parser.add_argument("--languages", default=",".join(LANGUAGES), help="comma-separated subset of " + ",".join(LANGUAGES))
    parser.add_argument("--multipage-share", type=float, default=0.15)
    parser.add_argument("--credit-share", type=float, default=0.15)
    parser.add_argument("--amount-due-truth", choices=["differs", "printed"], default="differs",
                        help="differs: amount_due only when it differs from the gross total (after a deposit); "
                             "printed: whenever an amount-due line is printed (the samples/ convention)")
    parser.add_argument("--self-check", action="store_true", help="after writing, validate VAT ids, IBANs and totals")
    args = parser.parse_args()
    args.layouts = [name for name in args.layouts.split(",") if name]
    args.languages = [name for name in args.languages.split(",") if name]
    unknown = sorted(set(args.layouts) - set(LAYOUTS)) + sorted(set(args.languages) - set(LANGUAGES))
    if unknown or not args.layouts or not args.languages:
        parser.error(f"unknown or empty layouts/languages: {', '.join(unknown) or '(none given)'}")
    if not (0 <= args.multipage_share <= 1 and 0 <= args.credit_share <= 1 and args.count >= 0):
        parser.error("shares must be between 0 and 1, count not negative")
    generate(args)
    if args.self_check and not self_check(args.out_dir):
        sys.exit(1)


if __name__ == "__main__":
    main()
