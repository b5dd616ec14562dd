//! The wasm32 backend. For now it provides the clock and entropy the shared core needs, so
//! the core builds for the browser; the buffer, timer and fetch exporter come next.

mod clock;

pub(crate) use clock::{now_unix_nanos, random_seed};
