//! Checks every fuzz target applies to an invoice it got: the invariants a panic would not reveal.

use stapel_domain::ExtractedInvoice;

/// Every confidence is a number in `[0, 1]`, and the invoice survives its public JSON form
/// unchanged (the contract the API, the result file and the records share).
pub fn check_invoice(invoice: &ExtractedInvoice) {
    for (field, confidence) in &invoice.confidence {
        assert!(
            (0.0..=1.0).contains(confidence),
            "confidence of {field} is {confidence}"
        );
    }
    let json = serde_json::to_string(invoice).expect("an invoice serializes");
    let back: ExtractedInvoice = serde_json::from_str(&json).expect("its JSON reads back");
    assert_eq!(
        &back, invoice,
        "the JSON round trip changed the invoice: {json}"
    );
}
