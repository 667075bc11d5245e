//! Money is decimal, never floating point: `0.1 + 0.2` must be `0.3` to the cent.
//!
//! Amounts serialize as decimal strings (`"1234.56"`) so no JSON consumer turns them into floats.

pub use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;

/// Minor-unit digits of an ISO 4217 currency (JPY has none, most have two, a few have three).
pub fn currency_decimals(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "OMR" | "TND" | "JOD" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

/// Round an amount to the currency's minor unit.
///
/// One rounding rule for the whole product: half away from zero ("commercial rounding"), the
/// rule tax authorities across the EU use for VAT amounts.
pub fn round_to_currency(amount: Decimal, currency: &str) -> Decimal {
    amount.round_dp_with_strategy(
        currency_decimals(currency),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_to_currency(dec!(2.345), "EUR"), dec!(2.35));
        assert_eq!(round_to_currency(dec!(-2.345), "EUR"), dec!(-2.35));
        assert_eq!(round_to_currency(dec!(2.344), "EUR"), dec!(2.34));
        assert_eq!(round_to_currency(dec!(1234.5), "JPY"), dec!(1235));
        assert_eq!(round_to_currency(dec!(1.2345), "KWD"), dec!(1.235));
    }
}
