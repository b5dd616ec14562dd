//! OpAMP, the Open Agent Management Protocol: the collector reports itself to a management
//! server (its description, health and effective configuration) and takes a remote
//! configuration from it — the sampler and the OTTL rules, changed while spans flow,
//! without a redeploy. Written once: the messages (`messages.rs`), the client as a state
//! machine without I/O (`client.rs`), one poll's work (`agent.rs`), the configuration's schema (`remote.rs`, read with
//! the small `json.rs`) and the settings as they run (`live.rs`); each backend only polls
//! the server over HTTP.

mod agent;
mod client;
mod json;
mod live;
mod messages;
mod remote;

pub(crate) use agent::Agent;
pub(crate) use live::{LiveSettings, LocalSettings};
