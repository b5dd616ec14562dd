//! One poll of an agent, written once for both backends: the message to send (health from
//! the exports and the effective configuration refreshed first), and what to do with the
//! answer (a remote configuration put in force and its outcome reported, and how long to
//! wait before the next poll). The backends only send and wait.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use super::client::{agent_description, OpampClient};
use super::live::LiveSettings;
use super::messages::Health;
use crate::batch::batching::BatchPolicy;
use crate::model::{now_unix_nanos, Resource};
use crate::observe::stats::StatsCounters;
use crate::transform::Shaping;

pub(crate) struct Agent {
    client: OpampClient,
    live: Arc<LiveSettings>,
    poll_interval: Duration,
    /// Where spans go, its password redacted, and the names of the headers sent.
    endpoint: String,
    header_names: Vec<String>,
    started: u64,
    /// The last wait was cut short: the next one is the poll interval whatever the server
    /// asks, so a server that always asks for more cannot make the agent spin.
    hurried: bool,
}

/// What the backend does after an answer.
pub(crate) struct AfterAnswer {
    /// Before the next poll.
    pub(crate) wait: Duration,
    /// A batch policy a remote configuration put in force, for the export loop.
    pub(crate) batch: Option<BatchPolicy>,
}

impl Agent {
    /// `language`: `telemetry.sdk.language` in the description.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        instance_uid: [u8; 16],
        resource: &Resource,
        language: &str,
        live: Arc<LiveSettings>,
        poll_interval: Duration,
        endpoint: String,
        header_names: Vec<String>,
    ) -> Agent {
        let (identifying, non_identifying) = agent_description(resource, language);
        Agent {
            client: OpampClient::new(instance_uid, identifying, non_identifying),
            live,
            poll_interval,
            endpoint,
            header_names,
            started: now_unix_nanos(),
            hurried: false,
        }
    }

    /// The next message, with health and the effective configuration as they are now
    /// (`disconnect`: the goodbye).
    pub(crate) fn message(
        &mut self,
        stats: &StatsCounters,
        exporting: bool,
        disconnect: bool,
    ) -> Vec<u8> {
        let healthy = stats.exports_succeed();
        self.client.set_health(Health {
            healthy,
            start_time_unix_nano: self.started,
            last_error: if healthy {
                String::new()
            } else {
                stats.last_error().unwrap_or_default()
            },
            status: if healthy {
                "exporting"
            } else {
                "export failing"
            }
            .to_owned(),
            status_time_unix_nano: now_unix_nanos(),
        });
        let names = self.header_names.iter().map(String::as_str).collect();
        self.client.set_effective_config(self.live.effective_json(
            exporting,
            &self.endpoint,
            names,
        ));
        self.client.next_message(disconnect)
    }

    /// The message did not reach the server (`retry_after`: the server's `Retry-After`);
    /// returns the wait before the next poll.
    pub(crate) fn send_failed(&mut self, retry_after: Option<Duration>) -> Duration {
        self.client.send_failed();
        self.hurried = false;
        retry_after.map_or(self.poll_interval, |after| after.max(self.poll_interval))
    }

    /// Takes the server's answer: puts a remote configuration in force (reporting its
    /// outcome in the next message) and says how long to wait.
    pub(crate) fn receive(
        &mut self,
        body: &[u8],
        shaping: &Shaping,
        exporting: &AtomicBool,
    ) -> AfterAnswer {
        let answer = self.client.receive(body);
        let mut soon = answer.send_soon;
        let mut batch = None;
        if let Some((hash, settings)) = answer.remote_config {
            let outcome =
                settings.and_then(|settings| self.live.apply(settings, shaping, exporting));
            batch = outcome.as_ref().ok().copied();
            self.client.remote_config_settled(hash, outcome.map(drop));
            soon = true;
        }
        let wait = match answer.error {
            Some(_) => answer
                .retry_after
                .unwrap_or(self.poll_interval)
                .max(self.poll_interval),
            None if soon && !self.hurried => Duration::ZERO,
            None => self.poll_interval,
        };
        self.hurried = wait.is_zero();
        AfterAnswer { wait, batch }
    }
}
