//! The collector watching itself: its counters (`stats`: what came in, what went out, why
//! anything was lost), the reports of its trouble as it happens (`problems`), and those
//! counters as Prometheus text (`metrics`). Counters report drops as they count them, so
//! the two know each other; nothing outside this folder needs to.

pub(crate) mod metrics;
pub(crate) mod problems;
pub(crate) mod stats;
