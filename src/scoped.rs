//! A span that ends and is collected when it goes out of scope, so an early `?` or a panic
//! unwinding through it still delivers it — marked: `ended_on_drop = true`, and after a
//! panic an error status. The explicit `end()` + `collect()` of [`Span`] stay for code that
//! hands spans around.
//!
//! # Examples
//! ```
//! use otlp_collector::{Collector, Config};
//!
//! fn load(collector: &Collector) -> Result<u32, std::num::ParseIntError> {
//!     let mut span = collector.start_scoped("load");
//!     let value: u32 = "not a number".parse()?; // the span is still delivered
//!     span.set_attribute("value", value);
//!     Ok(value)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let receiver = otlp_test_receiver::Receiver::start().await?;
//! let collector = Collector::new(Config::default().with_endpoint(receiver.endpoint()))?;
//! assert!(load(&collector).is_err());
//! collector.shutdown().await?;
//! assert_eq!(collector.stats().exported, 1);
//! # Ok(())
//! # }
//! ```

use std::borrow::Cow;
use std::ops::{Deref, DerefMut};

use crate::model::{Span, SpanStatus};
use crate::Collector;

/// A [`Span`] that collects itself when dropped; see the [module docs](self). Derefs to the
/// span for `set_attribute`, `add_event`, `set_status`, `record_error`, ….
pub struct ScopedSpan {
    /// `None` once ended explicitly or taken out.
    span: Option<Span>,
    collector: Collector,
}

impl Collector {
    /// Starts a root span that ends and is collected when dropped.
    pub fn start_scoped(&self, name: impl Into<Cow<'static, str>>) -> ScopedSpan {
        ScopedSpan {
            span: Some(self.start_span(name)),
            collector: self.clone(),
        }
    }
}

impl ScopedSpan {
    /// Starts a child that also collects itself when dropped.
    pub fn child(&self, name: impl Into<Cow<'static, str>>) -> ScopedSpan {
        let span = match &self.span {
            Some(span) => span.child(name),
            None => self.collector.start_span(name),
        };
        ScopedSpan {
            span: Some(span),
            collector: self.collector.clone(),
        }
    }

    /// Ends the span now and collects it (a refusal is counted by the collector).
    pub fn end(mut self) {
        if let Some(span) = self.span.take() {
            let _ = self.collector.collect(span.end());
        }
    }

    /// Takes the span out, to end and collect by hand; nothing happens on drop then.
    pub fn into_span(mut self) -> Span {
        self.span
            .take()
            .unwrap_or_else(|| self.collector.start_span("taken"))
    }
}

impl Deref for ScopedSpan {
    type Target = Span;

    fn deref(&self) -> &Span {
        // Only `end` and `into_span` take the span, and both consume `self`.
        self.span.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for ScopedSpan {
    fn deref_mut(&mut self) -> &mut Span {
        self.span.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for ScopedSpan {
    fn drop(&mut self) {
        let Some(mut span) = self.span.take() else {
            return;
        };
        span.set_attribute("ended_on_drop", true);
        if std::thread::panicking() {
            span.set_status(SpanStatus::error("panicked while the span was open"));
        }
        let _ = self.collector.collect(span.end());
    }
}
