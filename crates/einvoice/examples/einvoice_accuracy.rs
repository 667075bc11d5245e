//! Measure field accuracy over every public e-invoice sample in `../shared/data`.
//!
//! Ground truth is each XML itself, read here a second, independent way: by the absolute paths
//! of the EN 16931 BT -> XPath table in `../shared/data/README.md`, not by the crate's readers.
//! Also compares the UBL and CII versions of the same invoice (zugferd-corpus) and the XML
//! embedded in each hybrid PDF against its stand-alone copy.
//!
//! Run: `cargo run -p stapel-einvoice --example einvoice_accuracy [DATA_DIR]`. Skips with a message when
//! the folder is absent, so it never fails a checkout without the shared data.

use roxmltree::{Document, Node};
use rust_decimal::Decimal;
use stapel_domain::ExtractedInvoice;
use stapel_einvoice::{read_einvoice_xml, read_hybrid_pdf, HybridPdfLimits, XmlLimits};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

const FIELDS: &[&str] = &[
    "BT-1 number",
    "BT-2 issue",
    "BT-5 currency",
    "BT-9 due",
    "BT-27 seller",
    "BT-31 vat id",
    "BT-109 net",
    "BT-110 vat",
    "BT-112 gross",
    "BT-115 due",
    "BT-119 rates",
    "BT-84 iban",
];

fn main() {
    let data = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if !data.is_dir() {
        println!(
            "skipped: {} is not a directory (the shared sample data is absent)",
            data.display()
        );
        return;
    }
    let mut xml_files = Vec::new();
    let mut pdf_files = Vec::new();
    collect(&data, &mut xml_files, &mut pdf_files);
    xml_files.sort();
    pdf_files.sort();

    // field -> (exact, absent in both, wrong)
    let mut per_field: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut parsed = 0;
    for file in &xml_files {
        let bytes = std::fs::read(file).unwrap_or_default();
        let name = file
            .strip_prefix(&data)
            .unwrap_or(file)
            .display()
            .to_string();
        let einvoice = match read_einvoice_xml(&bytes, &XmlLimits::default()) {
            Ok(einvoice) => einvoice,
            Err(error) => {
                failures.push(format!("{name}: {}", error.code()));
                continue;
            }
        };
        parsed += 1;
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let text = text.trim_start_matches('\u{feff}');
        let Ok(document) = Document::parse(text) else {
            continue;
        };
        let expected = ground_truth(document.root_element());
        let actual = actual_fields(&einvoice.invoice);
        for (field, (want, got)) in FIELDS.iter().zip(expected.iter().zip(actual.iter())) {
            let entry = per_field.entry(field).or_default();
            match (want, got) {
                (None, None) => entry.1 += 1,
                (want, got) if want == got => entry.0 += 1,
                _ => {
                    entry.2 += 1;
                    failures.push(format!("{name}: {field}: expected {want:?}, got {got:?}"));
                }
            }
        }
        for violation in &einvoice.violations {
            println!("note {name}: {}", violation.message);
        }
    }

    println!(
        "\n{} XML files, {} read as e-invoices",
        xml_files.len(),
        parsed
    );
    println!(
        "{:<14} {:>6} {:>8} {:>6}",
        "field", "exact", "absent", "wrong"
    );
    for field in FIELDS {
        let (exact, absent, wrong) = per_field.get(field).copied().unwrap_or_default();
        println!("{field:<14} {exact:>6} {absent:>8} {wrong:>6}");
    }

    // The same invoice in UBL and in CII must read the same.
    println!("\nUBL vs CII pairs (zugferd-corpus):");
    let mut pairs = (0, 0);
    for cii in xml_files
        .iter()
        .filter(|f| f.to_string_lossy().ends_with(".cii.xml"))
    {
        let ubl = PathBuf::from(
            cii.to_string_lossy()
                .replace("/CII/", "/UBL/")
                .replace(".cii.xml", ".ubl.xml"),
        );
        let (Some(a), Some(b)) = (read(cii), read(&ubl)) else {
            continue;
        };
        let differences = differences(&a, &b);
        pairs.0 += 1;
        if differences.is_empty() {
            pairs.1 += 1;
        } else {
            println!("  {}: differ in {}", stem(cii), differences.join(", "));
        }
    }
    println!(
        "  {} of {} pairs identical (source and line details compared too)",
        pairs.1, pairs.0
    );

    println!("\nhybrid PDFs:");
    for pdf in &pdf_files {
        let bytes = std::fs::read(pdf).unwrap_or_default();
        let result = read_hybrid_pdf(&bytes, &HybridPdfLimits::default(), &XmlLimits::default());
        let twin = PathBuf::from(
            pdf.to_string_lossy()
                .replace("/FX/", "/CII/")
                .replace(".pdf", ".cii.xml"),
        );
        match result {
            Ok(Some(einvoice)) => {
                let comparison = match read(&twin) {
                    Some(standalone) if standalone == without_source(einvoice.invoice.clone()) => {
                        "identical to the CII file".to_owned()
                    }
                    Some(standalone) => format!(
                        "DIFFERS from the CII file in {} (CII file vs attachment)",
                        differences(&standalone, &without_source(einvoice.invoice.clone()))
                            .join(", ")
                    ),
                    None => "no stand-alone copy".to_owned(),
                };
                println!(
                    "  {}: {} from {:?}, {comparison}",
                    stem(pdf),
                    einvoice.invoice.invoice_number.as_deref().unwrap_or("?"),
                    einvoice.attachment.as_deref().unwrap_or("?")
                );
            }
            Ok(None) => println!("  {}: no XML attachment", stem(pdf)),
            Err(error) => println!("  {}: {}", stem(pdf), error),
        }
    }

    println!("\nproblems ({}):", failures.len());
    for failure in &failures {
        println!("  {failure}");
    }
}

fn stem(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn without_source(mut invoice: ExtractedInvoice) -> ExtractedInvoice {
    invoice.source = stapel_domain::Source::Text;
    invoice
}

fn read(path: &Path) -> Option<ExtractedInvoice> {
    let bytes = std::fs::read(path).ok()?;
    let mut invoice = read_einvoice_xml(&bytes, &XmlLimits::default())
        .ok()?
        .invoice;
    invoice.source = stapel_domain::Source::Text;
    Some(invoice)
}

fn differences(a: &ExtractedInvoice, b: &ExtractedInvoice) -> Vec<String> {
    let (Ok(a), Ok(b)) = (serde_json::to_value(a), serde_json::to_value(b)) else {
        return vec!["serialisation".into()];
    };
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return vec![];
    };
    a.iter()
        .filter(|(key, value)| b.get(*key) != Some(value))
        .map(|(key, value)| {
            format!(
                "{key} ({value} vs {})",
                b.get(key).cloned().unwrap_or_default()
            )
        })
        .collect()
}

fn collect(dir: &Path, xml: &mut Vec<PathBuf>, pdf: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let lower = path.to_string_lossy().to_lowercase();
        if path.is_dir() {
            collect(&path, xml, pdf);
        } else if lower.ends_with(".xml") {
            xml.push(path);
        } else if lower.ends_with(".pdf") {
            pdf.push(path);
        }
    }
}

// ---- independent ground truth: absolute paths from the README's table ----

fn at<'a, 'i>(node: Node<'a, 'i>, path: &str) -> Vec<Node<'a, 'i>> {
    let mut current = vec![node];
    for step in path.split('/') {
        current = current
            .iter()
            .flat_map(|n| {
                n.children()
                    .filter(|c| c.is_element() && c.tag_name().name() == step)
            })
            .collect();
    }
    current
}

fn first_text(node: Node, path: &str) -> Option<String> {
    at(node, path)
        .first()
        .and_then(|n| n.text())
        .map(|t| t.trim().to_owned())
}

fn dec(text: Option<String>) -> Option<String> {
    text.and_then(|t| Decimal::from_str(&t).ok())
        .map(|d| d.normalize().to_string())
}

fn compact(text: Option<String>) -> Option<String> {
    // The crate's documented normalisation of VAT ids and IBANs: letters and digits, upper case.
    text.map(|t| {
        t.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase()
    })
}

fn ground_truth(root: Node) -> Vec<Option<String>> {
    let ns = root.tag_name().namespace().unwrap_or("");
    let currency;
    let mut row = Vec::new();
    if ns.contains("ubl") {
        let party = "AccountingSupplierParty/Party";
        currency = first_text(root, "DocumentCurrencyCode");
        row.push(first_text(root, "ID"));
        row.push(first_text(root, "IssueDate"));
        row.push(currency.clone());
        row.push(
            first_text(root, "DueDate").or_else(|| first_text(root, "PaymentMeans/PaymentDueDate")),
        );
        row.push(first_text(
            root,
            &format!("{party}/PartyLegalEntity/RegistrationName"),
        ));
        row.push(compact(
            at(root, &format!("{party}/PartyTaxScheme"))
                .into_iter()
                .find(|s| first_text(*s, "TaxScheme/ID").as_deref() == Some("VAT"))
                .and_then(|s| first_text(s, "CompanyID")),
        ));
        row.push(dec(first_text(
            root,
            "LegalMonetaryTotal/TaxExclusiveAmount",
        )));
        let vat = at(root, "TaxTotal/TaxAmount")
            .into_iter()
            .find(|a| a.attribute("currencyID") == currency.as_deref())
            .and_then(|a| a.text().map(str::to_owned));
        row.push(dec(vat));
        row.push(dec(first_text(
            root,
            "LegalMonetaryTotal/TaxInclusiveAmount",
        )));
        row.push(dec(first_text(root, "LegalMonetaryTotal/PayableAmount")));
        let rates: Vec<String> = at(root, "TaxTotal/TaxSubtotal")
            .into_iter()
            .map(|s| {
                format!(
                    "{}:{}:{}",
                    dec(first_text(s, "TaxCategory/Percent")).unwrap_or("0".into()),
                    dec(first_text(s, "TaxableAmount")).unwrap_or_default(),
                    dec(first_text(s, "TaxAmount")).unwrap_or_default()
                )
            })
            .collect();
        row.push((!rates.is_empty()).then(|| rates.join(" ")));
        row.push(compact(first_text(
            root,
            "PaymentMeans/PayeeFinancialAccount/ID",
        )));
    } else {
        let zf1 = ns.contains("ferd");
        let (header, tx, agr, set, sum, rate) = if zf1 {
            (
                "HeaderExchangedDocument",
                "SpecifiedSupplyChainTradeTransaction",
                "ApplicableSupplyChainTradeAgreement",
                "ApplicableSupplyChainTradeSettlement",
                "SpecifiedTradeSettlementMonetarySummation",
                "ApplicablePercent",
            )
        } else {
            (
                "ExchangedDocument",
                "SupplyChainTradeTransaction",
                "ApplicableHeaderTradeAgreement",
                "ApplicableHeaderTradeSettlement",
                "SpecifiedTradeSettlementHeaderMonetarySummation",
                "RateApplicablePercent",
            )
        };
        let settlement = format!("{tx}/{set}");
        let ymd = |t: Option<String>| {
            t.filter(|t| t.len() == 8)
                .map(|t| format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..]))
        };
        currency = first_text(root, &format!("{settlement}/InvoiceCurrencyCode"));
        row.push(first_text(root, &format!("{header}/ID")));
        row.push(ymd(first_text(
            root,
            &format!("{header}/IssueDateTime/DateTimeString"),
        )));
        row.push(currency.clone());
        row.push(ymd(first_text(
            root,
            &format!("{settlement}/SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString"),
        )));
        row.push(first_text(
            root,
            &format!("{tx}/{agr}/SellerTradeParty/Name"),
        ));
        row.push(compact(
            at(
                root,
                &format!("{tx}/{agr}/SellerTradeParty/SpecifiedTaxRegistration/ID"),
            )
            .into_iter()
            .find(|id| id.attribute("schemeID") == Some("VA"))
            .and_then(|id| id.text().map(str::to_owned)),
        ));
        row.push(dec(first_text(
            root,
            &format!("{settlement}/{sum}/TaxBasisTotalAmount"),
        )));
        let vat = at(root, &format!("{settlement}/{sum}/TaxTotalAmount"))
            .into_iter()
            .find(|a| {
                a.attribute("currencyID").is_none()
                    || a.attribute("currencyID") == currency.as_deref()
            })
            .and_then(|a| a.text().map(str::to_owned));
        row.push(dec(vat));
        row.push(dec(first_text(
            root,
            &format!("{settlement}/{sum}/GrandTotalAmount"),
        )));
        row.push(dec(first_text(
            root,
            &format!("{settlement}/{sum}/DuePayableAmount"),
        )));
        let rates: Vec<String> = at(root, &format!("{settlement}/ApplicableTradeTax"))
            .into_iter()
            .map(|s| {
                format!(
                    "{}:{}:{}",
                    dec(first_text(s, rate)).unwrap_or("0".into()),
                    dec(first_text(s, "BasisAmount")).unwrap_or_default(),
                    dec(first_text(s, "CalculatedAmount")).unwrap_or_default()
                )
            })
            .collect();
        row.push((!rates.is_empty()).then(|| rates.join(" ")));
        row.push(compact(first_text(root, &format!("{settlement}/SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/IBANID"))));
    }
    row
}

fn actual_fields(invoice: &ExtractedInvoice) -> Vec<Option<String>> {
    let d = |v: Option<Decimal>| v.map(|d| d.normalize().to_string());
    let rates: Vec<String> = invoice
        .vat_breakdown
        .iter()
        .map(|b| {
            format!(
                "{}:{}:{}",
                b.rate.normalize(),
                b.base.normalize(),
                b.amount.normalize()
            )
        })
        .collect();
    vec![
        invoice.invoice_number.clone(),
        invoice.issue_date.map(|d| d.to_string()),
        invoice.currency.clone(),
        invoice.due_date.map(|d| d.to_string()),
        invoice.supplier_name.clone(),
        invoice.supplier_vat_id.clone(),
        d(invoice.net_total),
        d(invoice.vat_total),
        d(invoice.gross_total),
        d(invoice.amount_due),
        (!rates.is_empty()).then(|| rates.join(" ")),
        invoice.iban.clone(),
    ]
}
