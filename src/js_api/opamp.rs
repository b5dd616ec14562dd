//! The OpAMP agent in the module of `otlp-collector/opamp` (and `/managed`): the shared
//! agent (`crate::opamp`) over this collector's core. JavaScript (`npm/src/opamp.js`)
//! posts the messages it writes with the exporter's `fetch` and hands it the answers; the
//! sampler stays in JavaScript, which reads the ratio in force after each answer.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use wasm_bindgen::prelude::*;

use super::intake::Intake;
use crate::opamp::{Agent, LiveSettings, LocalSettings};
use crate::platform::handle::Handle;
use crate::sampling::Sampler;
use crate::transform::ErrorMode;

/// This collector's OpAMP agent. Only `npm/src/opamp.js` calls it.
#[wasm_bindgen(skip_typescript)]
pub struct OpampAgent {
    agent: RefCell<Agent>,
    live: Arc<LiveSettings>,
    intake_core: std::rc::Rc<crate::platform::CoreState>,
}

/// Text lists cross the boundary joined by NUL characters (one string is cheaper glue).
fn split(joined: &str) -> Vec<String> {
    if joined.is_empty() {
        Vec::new()
    } else {
        joined.split('\0').map(str::to_owned).collect()
    }
}

/// A delay in milliseconds for JavaScript's timers.
fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The OpAMP agent for the collector of `intake` (its handle's address): `uid` its 16-byte instance uid, `sample_ratio`
/// the application's own ratio, `endpoint` where spans go (password redacted),
/// `header_names`, `transform` and `drop_spans` NUL-joined (the application's rules,
/// which a configuration without rules falls back to).
#[wasm_bindgen(js_name = openOpamp, skip_typescript)]
#[allow(clippy::too_many_arguments)] // one crossing for all of the agent's settings
pub fn open_opamp(
    intake: usize,
    uid: &[u8],
    sample_ratio: f64,
    poll_interval_ms: f64,
    endpoint: String,
    header_names: &str,
    transform: &str,
    drop_spans: &str,
) -> Result<OpampAgent, JsError> {
    let Some(intake) = Intake::at(intake) else {
        return Err(JsError::new("otlp-collector: the collector was freed"));
    };
    let core = &intake.core;
    let mut instance_uid = [0; 16];
    let length = uid.len().min(16);
    instance_uid[..length].copy_from_slice(&uid[..length]);
    let live = Arc::new(LiveSettings::new(LocalSettings {
        sampler: Sampler::ParentBasedTraceIdRatio(sample_ratio),
        span_limits: core.limits(),
        transform: split(transform),
        drop_spans: split(drop_spans),
        error_mode: ErrorMode::Ignore,
        batch: core.batch_policy(),
        max_queue_size: core.max_queue_size(),
    }));
    let agent = Agent::new(
        instance_uid,
        &core.resource(),
        "webjs",
        Arc::clone(&live),
        Duration::from_millis(poll_interval_ms as u64),
        endpoint,
        split(header_names),
    );
    Ok(OpampAgent {
        agent: RefCell::new(agent),
        live,
        intake_core: std::rc::Rc::clone(core),
    })
}

#[wasm_bindgen]
impl OpampAgent {
    /// The next message to post (`disconnect`: the goodbye).
    pub fn message(&self, disconnect: bool) -> Vec<u8> {
        let pipeline = &self.intake_core.pipeline;
        let exporting = pipeline
            .exporting
            .load(std::sync::atomic::Ordering::Relaxed);
        self.agent
            .borrow_mut()
            .message(&pipeline.stats, exporting, disconnect)
    }

    /// The message did not reach the server (`retry_after_ms` < 0: no `Retry-After`);
    /// returns the milliseconds to wait before the next poll.
    #[wasm_bindgen(js_name = sendFailed)]
    pub fn send_failed(&self, retry_after_ms: f64) -> f64 {
        let retry_after =
            (retry_after_ms >= 0.0).then(|| Duration::from_millis(retry_after_ms as u64));
        millis(self.agent.borrow_mut().send_failed(retry_after))
    }

    /// Takes the server's answer (a remote configuration is put in force); returns the
    /// milliseconds to wait before the next poll.
    pub fn receive(&self, body: &[u8]) -> f64 {
        let core = &self.intake_core;
        let after =
            self.agent
                .borrow_mut()
                .receive(body, &core.pipeline.shaping, &core.pipeline.exporting);
        if let Some(policy) = after.batch {
            core.set_batch_policy(policy);
        }
        core.set_limits(self.live.span_start().1);
        millis(after.wait)
    }

    /// The share of new traces to keep now (the browser follows a remote parent's decision
    /// whatever the sampler): 1 for `always_on`, 0 for `always_off`.
    #[wasm_bindgen(js_name = sampleRatio)]
    pub fn sample_ratio(&self) -> f64 {
        match self.live.span_start().0 {
            Sampler::AlwaysOn | Sampler::ParentBasedAlwaysOn => 1.0,
            Sampler::AlwaysOff | Sampler::ParentBasedAlwaysOff => 0.0,
            Sampler::TraceIdRatio(ratio) | Sampler::ParentBasedTraceIdRatio(ratio) => ratio,
        }
    }
}
