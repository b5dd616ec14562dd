//! The span of every load run (the load generator, the criterion benches, the deployment
//! figures): `op` with four attributes. One definition, so their figures stay comparable.

use otlp_collector::Span;

/// Span `i` of a load run, ended.
pub fn load_span(i: u64) -> Span {
    Span::new("op")
        .with_attribute("i", i as i64)
        .with_attribute("user.id", "user-1234")
        .with_attribute("http.method", "GET")
        .with_attribute("ok", true)
        .end()
}
