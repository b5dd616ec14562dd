//! Wall-clock time and an entropy seed from JavaScript (there is no `SystemTime` on
//! wasm32-unknown-unknown).

/// Nanoseconds since the Unix epoch, from `Date.now()` (millisecond resolution).
pub(crate) fn now_unix_nanos() -> u64 {
    (js_sys::Date::now() * 1_000_000.0) as u64
}

/// 64 random bits from `Math.random()`, mixed with the time.
pub(crate) fn random_seed() -> u64 {
    let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    ((high << 32) | low) ^ now_unix_nanos()
}
