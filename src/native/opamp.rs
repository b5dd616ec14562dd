//! The OpAMP agent's I/O natively: a task on the export thread's runtime that polls the
//! server (`POST`, protobuf, as OTLP/HTTP is sent: no redirects, bounded reads, the same
//! certificates) with what `opamp::Agent` writes, and hands it the answers. A server that
//! is down, slow or hostile only delays its own polls: spans never wait for it.

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
use crate::opamp::{Agent, LiveSettings};

/// The most of an answer read: a configuration of at most 64 KiB and its envelope.
const MAX_ANSWER_BYTES: usize = 128 * 1024;

/// How long `shutdown` waits for the goodbye to reach the server.
pub(crate) const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the collector keeps of its poller: the signal that stops it, and the channel that
/// closes when it has said goodbye.
pub(crate) struct PollerHandle {
    pub(crate) stop: Arc<Notify>,
    pub(crate) finished: std::sync::Mutex<Option<oneshot::Receiver<()>>>,
}

pub(crate) struct OpampPoller {
    agent: Agent,
    transport: HttpTransport,
    shared: Arc<Shared>,
    /// The export loop's commands, without keeping it alive.
    commands: mpsc::WeakUnboundedSender<Command>,
    stop: Arc<Notify>,
    /// Dropped when the poller ends (after its goodbye), which `shutdown` waits for.
    _finished: oneshot::Sender<()>,
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
        let agent = Agent::new(
            settings.instance_uid.unwrap_or_else(uuid_v7),
            &config.resource,
            "rust",
            live,
            settings.poll_interval,
            redact_password(&config.endpoint),
            config
                .headers
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
        );
        let stop = Arc::new(Notify::new());
        let (finished_sender, finished) = oneshot::channel();
        let poller = OpampPoller {
            agent,
            transport,
            shared,
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

    fn message(&mut self, disconnect: bool) -> Vec<u8> {
        let pipeline = &self.shared.pipeline;
        let exporting = pipeline.exporting.load(Ordering::Relaxed);
        self.agent.message(&pipeline.stats, exporting, disconnect)
    }

    async fn run(mut self) {
        let mut wait = Duration::ZERO;
        loop {
            tokio::select! {
                biased;
                () = self.stop.notified() => {
                    // Goodbye (AgentDisconnect), best effort and bounded by the timeout.
                    let body = self.message(true);
                    let _ = self.transport.exchange(body.into(), MAX_ANSWER_BYTES).await;
                    return;
                }
                () = tokio::time::sleep(wait) => {}
            }
            let body = self.message(false);
            wait = match self.transport.exchange(body.into(), MAX_ANSWER_BYTES).await {
                Ok(answer) => {
                    let pipeline = &self.shared.pipeline;
                    let after = self
                        .agent
                        .receive(&answer, &pipeline.shaping, &pipeline.exporting);
                    if let (Some(policy), Some(commands)) = (after.batch, self.commands.upgrade()) {
                        // The export loop takes the batch policy with its next command.
                        let _ = commands.send(Command::SetPolicy(policy));
                    }
                    after.wait
                }
                Err(SendError::Status { retry_after, .. }) => self.agent.send_failed(retry_after),
                Err(_) => self.agent.send_failed(None),
            };
        }
    }
}

/// A random UUIDv7: the time in milliseconds, then random bits (RFC 9562).
fn uuid_v7() -> [u8; 16] {
    let millis = crate::model::now_unix_nanos() / 1_000_000;
    let random = (u128::from(super::random_seed()) << 64) | u128::from(super::random_seed());
    let mut uid = ((u128::from(millis) << 80) | (random & ((1 << 80) - 1))).to_be_bytes();
    uid[6] = 0x70 | (uid[6] & 0x0f);
    uid[8] = 0x80 | (uid[8] & 0x3f);
    uid
}
