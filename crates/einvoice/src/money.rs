//! One representation per figure, so the same invoice reads the same in UBL and in CII.
//!
//! Generators differ in trailing zeros (`473.00` in the CII, `473` in its UBL conversion), and
//! the JSON contract serialises a decimal with its scale. Amounts are therefore written with the
//! currency's ISO 4217 minor units (EUR `473.00`, JPY `473`, KWD `473.000`) whenever that loses
//! nothing; an amount with more significant decimals than its currency has (a generator that
//! wrote `10.005`) is kept as stated, never rounded. Rates, quantities and unit prices have no
//! fixed scale, so their trailing zeros are dropped (`19.00` % becomes `19`).

use rust_decimal::Decimal;
use stapel_domain::ExtractedInvoice;

/// ISO 4217 minor units; currencies not listed use two, the common case. Unknown or absent
/// currencies also get two, but only ever by adding zeros.
fn minor_units(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// `amount` with exactly `scale` decimals if that changes no digit, else unchanged.
fn to_scale(amount: Decimal, scale: u32) -> Decimal {
    let normalized = amount.normalize();
    if normalized.scale() > scale {
        return amount;
    }
    let mut scaled = normalized;
    // `rescale` only fails silently at the 28-digit limit, where it keeps what fits; checking
    // the value afterwards keeps that edge from changing a figure.
    scaled.rescale(scale);
    if scaled == amount {
        scaled
    } else {
        amount
    }
}

/// Rewrite every figure of `invoice` in its canonical representation; values never change.
pub(crate) fn canonicalise(invoice: &mut ExtractedInvoice) {
    let scale = minor_units(invoice.currency.as_deref().unwrap_or(""));
    for total in [
        &mut invoice.net_total,
        &mut invoice.vat_total,
        &mut invoice.gross_total,
        &mut invoice.amount_due,
    ] {
        *total = total.map(|amount| to_scale(amount, scale));
    }
    for entry in &mut invoice.vat_breakdown {
        entry.rate = entry.rate.normalize();
        entry.base = to_scale(entry.base, scale);
        entry.amount = to_scale(entry.amount, scale);
    }
    for entry in &mut invoice.allowances_charges {
        entry.amount = to_scale(entry.amount, scale);
        entry.vat_rate = entry.vat_rate.map(|rate| rate.normalize());
    }
    for line in &mut invoice.lines {
        line.quantity = line.quantity.map(|quantity| quantity.normalize());
        line.unit_price = line.unit_price.map(|price| price.normalize());
        line.net_amount = line.net_amount.map(|amount| to_scale(amount, scale));
        line.vat_rate = line.vat_rate.map(|rate| rate.normalize());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_take_the_currency_scale_without_rounding() {
        assert_eq!(to_scale(dec!(473), 2).to_string(), "473.00");
        assert_eq!(to_scale(dec!(473.000), 2).to_string(), "473.00");
        assert_eq!(to_scale(dec!(10.005), 2).to_string(), "10.005");
        assert_eq!(to_scale(dec!(87859.00), 0).to_string(), "87859");
        assert_eq!(to_scale(dec!(-0.2), 2).to_string(), "-0.20");
        assert_eq!(minor_units("HUF"), 2);
    }
}
