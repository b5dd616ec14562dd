//! The OpAMP client's I/O natively: a task on the export thread's runtime that polls the
//! server (`POST`, protobuf, as OTLP/HTTP is sent: no redirects, bounded reads, the same
//! certificates), puts a remote configuration in force, and reports health and the
//! effective configuration. A server that is down, slow or hostile only delays its own
//! polls: spans never wait for it.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Notify};

use super::export_task::{Command, Shared};
use super::http::HttpTransport;
use crate::config::{redact_password, Config, Destination, ExportSettings, OpampSettings};
use crate::encoding::{Compression, Protocol};
use crate::error::StartError;
use crate::export::SendError;
use crate::model::now_unix_nanos;
use crate::opamp::{agent_description, Health, LiveSettings, OpampClient};

/// The most of an answer read: a configuration of at most 64 KiB and its envelope.
const MAX_ANSWER_BYTES: usize = 128 * 1024;

pub(crate) struct OpampPoller {
    client: OpampClient,
    transport: HttpTransport,
    live: Arc<LiveSettings>,
    shared: Arc<Shared>,
    poll_interval: Duration,
    endpoint: String,
    header_names: Vec<String>,
    started: u64,
    /// The export loop's commands, without keeping it alive.
    commands: mpsc::WeakUnboundedSender<Command>,
    stop: Arc<Notify>,
    /// Dropped when the poller ends (after its goodbye), which `shutdown` waits for.
    _finished: oneshot::Sender<()>,
}

/// How long `shutdown` waits for the goodbye to reach the server.
pub(crate) const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the collector keeps of its poller: the signal that stops it, and the channel that
/// closes when it has said goodbye.
pub(crate) struct PollerHandle {
    pub(crate) stop: Arc<Notify>,
    pub(crate) finished: std::sync::Mutex<Option<oneshot::Receiver<()>>>,
}

impl OpampPoller {
    /// Starts polling on the current (export) runtime; returns what stops it.
    pub(crate) fn start(
        config: &Config,
        settings: &OpampSettings,
        live: Arc<LiveSettings>,
        shared: Arc<Shared>,
        commands: mpsc::WeakUnboundedSender<Command>,
    ) -> Result<PollerHandle, StartError> {
        let transport = HttpTransport::new(
            &Destination {
                endpoint: settings.endpoint.clone(),
                headers: settings.headers.clone(),
            },
            &ExportSettings {
                protocol: Protocol::HttpProtobuf,
                compression: Compression::None,
                ..config.export_settings()
            },
        )?;
        let (identifying, non_identifying) = agent_description(&config.resource, "rust");
        let uid = settings.instance_uid.unwrap_or_else(uuid_v7);
        let stop = Arc::new(Notify::new());
        let (finished_sender, finished) = oneshot::channel();
        let poller = OpampPoller {
            client: OpampClient::new(uid, identifying, non_identifying),
            transport,
            live,
            shared,
            poll_interval: settings.poll_interval,
            endpoint: redact_password(&config.endpoint),
            header_names: config
                .headers
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
            started: now_unix_nanos(),
            commands,
            stop: Arc::clone(&stop),
            _finished: finished_sender,
        };
        tokio::spawn(poller.run());
        Ok(PollerHandle {
            stop,
            finished: std::sync::Mutex::new(Some(finished)),
        })
    }

    async fn run(mut self) {
        let mut wait = Duration::ZERO;
        let mut hurried = false;
        loop {
            tokio::select! {
                biased;
                () = self.stop.notified() => {
                    // Goodbye (AgentDisconnect), best effort and bounded by the timeout.
                    let body = self.client.next_message(true);
                    let _ = self.transport.exchange(body.into(), MAX_ANSWER_BYTES).await;
                    return;
                }
                () = tokio::time::sleep(wait) => {}
            }
            self.refresh();
            let body = self.client.next_message(false);
            wait = match self.transport.exchange(body.into(), MAX_ANSWER_BYTES).await {
                Ok(answer) => {
                    let answer = self.client.receive(&answer);
                    let mut soon = answer.send_soon;
                    if let Some((hash, settings)) = answer.remote_config {
                        let outcome = settings.and_then(|settings| {
                            let pipeline = &self.shared.pipeline;
                            self.live
                                .apply(settings, &pipeline.shaping, &pipeline.exporting)
                        });
                        let outcome = outcome.map(|policy| {
                            // The export loop takes the batch policy with its next command.
                            if let Some(commands) = self.commands.upgrade() {
                                let _ = commands.send(Command::SetPolicy(policy));
                            }
                        });
                        self.client.remote_config_settled(hash, outcome);
                        soon = true;
                    }
                    match answer.error {
                        Some(_) => answer.retry_after.unwrap_or(self.poll_interval),
                        // Once at once after a change; a server that always asks for more
                        // is answered at the poll interval.
                        None if soon && !hurried => Duration::ZERO,
                        None => self.poll_interval,
                    }
                }
                Err(error) => {
                    self.client.send_failed();
                    match error {
                        SendError::Status {
                            retry_after: Some(after),
                            ..
                        } => after.max(self.poll_interval),
                        _ => self.poll_interval,
                    }
                }
            };
            hurried = wait.is_zero();
        }
    }

    /// Health and the effective configuration as they are now.
    fn refresh(&mut self) {
        let stats = &self.shared.pipeline.stats;
        let healthy = stats.exports_succeed();
        let now = now_unix_nanos();
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
            status_time_unix_nano: now,
        });
        let names = self.header_names.iter().map(String::as_str).collect();
        let exporting = self.shared.pipeline.exporting.load(Ordering::Relaxed);
        self.client.set_effective_config(self.live.effective_json(
            exporting,
            &self.endpoint,
            names,
        ));
    }
}

/// A random UUIDv7: the time in milliseconds, then random bits (RFC 9562).
fn uuid_v7() -> [u8; 16] {
    let millis = now_unix_nanos() / 1_000_000;
    let random = (u128::from(super::random_seed()) << 64) | u128::from(super::random_seed());
    let mut uid = ((u128::from(millis) << 80) | (random & ((1 << 80) - 1))).to_be_bytes();
    uid[6] = 0x70 | (uid[6] & 0x0f);
    uid[8] = 0x80 | (uid[8] & 0x3f);
    uid
}
