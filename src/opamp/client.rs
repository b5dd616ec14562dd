//! The OpAMP client as a state machine without I/O, in the style of `ExportJob`: it writes
//! each `AgentToServer` and takes each `ServerToAgent`; the backend sends and polls. It
//! keeps the instance uid and the sequence number, reports only what changed since the last
//! message (the specification's compression), and sends the whole state on the first
//! message, after a failed send (the server may have missed one) and when the server asks
//! (`ReportFullState`). A remote configuration is handed to the owner to apply; the owner
//! says how it went, and the next message reports it (`APPLIED` with its hash, or `FAILED`
//! with why).

use std::time::Duration;

use super::messages::{
    capability, decode_server_to_agent, AgentToServer, Health, RemoteConfigState,
    RemoteConfigStatus, REPORT_FULL_STATE,
};
use super::remote::RemoteSettings;
use crate::model::{KeyValue, Resource};

/// What this client can do, as `AgentCapabilities` bits.
pub(crate) const CAPABILITIES: u64 = capability::REPORTS_STATUS
    | capability::ACCEPTS_REMOTE_CONFIG
    | capability::REPORTS_EFFECTIVE_CONFIG
    | capability::REPORTS_HEALTH
    | capability::REPORTS_REMOTE_CONFIG
    | capability::REPORTS_HEARTBEAT;

/// Resource attributes that identify the agent to the server (the opamp-spec's guidance
/// for OpenTelemetry SDKs); the others describe it.
const IDENTIFYING: [&str; 3] = ["service.name", "service.namespace", "service.instance.id"];

/// The agent's description from its resource: identifying and non-identifying attributes,
/// the latter with the SDK's name, version and `language` unless the resource has them.
pub(crate) fn agent_description(
    resource: &Resource,
    language: &str,
) -> (Vec<KeyValue>, Vec<KeyValue>) {
    let (identifying, mut non_identifying): (Vec<KeyValue>, Vec<KeyValue>) = resource
        .attributes()
        .iter()
        .cloned()
        .partition(|attribute| IDENTIFYING.contains(&&*attribute.key));
    for (key, value) in [
        ("telemetry.sdk.name", "otlp-collector"),
        ("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
        ("telemetry.sdk.language", language),
    ] {
        if !non_identifying
            .iter()
            .any(|attribute| &*attribute.key == key)
        {
            non_identifying.push(KeyValue::new(key, value.to_owned()));
        }
    }
    (identifying, non_identifying)
}

/// A configuration body larger than this is refused (`FAILED`) without being read.
pub(crate) const MAX_CONFIG_BYTES: usize = 64 * 1024;

pub(crate) struct OpampClient {
    instance_uid: [u8; 16],
    sequence_num: u64,
    identifying: Vec<KeyValue>,
    non_identifying: Vec<KeyValue>,
    health: Option<Health>,
    effective_config: Option<String>,
    remote_status: Option<RemoteConfigStatus>,
    /// What changed since the last message: (health, effective config, remote status).
    changed: [bool; 3],
    full_state_due: bool,
    /// The hash of the last remote configuration handed over, applied or not, so the same
    /// one is not handed over again.
    last_hash: Option<Vec<u8>>,
}

/// What a server's answer asks of the owner.
#[derive(Debug, Default)]
pub(crate) struct Answer {
    /// A new remote configuration: its hash and its settings, or why it cannot apply.
    pub(crate) remote_config: Option<(Vec<u8>, Result<RemoteSettings, String>)>,
    /// The server is unavailable: wait this long (or the owner's back-off) before polling.
    pub(crate) retry_after: Option<Duration>,
    /// The server answered with an error.
    pub(crate) error: Option<String>,
    /// Send the next message soon (the server asked for the full state, or a status
    /// changed).
    pub(crate) send_soon: bool,
}

impl OpampClient {
    pub(crate) fn new(
        instance_uid: [u8; 16],
        identifying: Vec<KeyValue>,
        non_identifying: Vec<KeyValue>,
    ) -> OpampClient {
        OpampClient {
            instance_uid,
            sequence_num: 0,
            identifying,
            non_identifying,
            health: None,
            effective_config: None,
            remote_status: None,
            changed: [false; 3],
            full_state_due: true,
            last_hash: None,
        }
    }

    /// Whether something changed that the server has not heard yet.
    pub(crate) fn has_news(&self) -> bool {
        self.full_state_due || self.changed.iter().any(|&changed| changed)
    }

    pub(crate) fn set_health(&mut self, health: Health) {
        // A change of time alone is no news.
        let same = self.health.as_ref().is_some_and(|known| {
            known.healthy == health.healthy
                && known.last_error == health.last_error
                && known.status == health.status
        });
        if !same {
            self.health = Some(health);
            self.changed[0] = true;
        }
    }

    pub(crate) fn set_effective_config(&mut self, json: String) {
        if self.effective_config.as_ref() != Some(&json) {
            self.effective_config = Some(json);
            self.changed[1] = true;
        }
    }

    /// The owner applied (`Ok`) or refused (`Err`) the configuration with `hash`.
    pub(crate) fn remote_config_settled(&mut self, hash: Vec<u8>, outcome: Result<(), String>) {
        let (state, error_message) = match outcome {
            Ok(()) => (RemoteConfigState::Applied, String::new()),
            Err(error) => (RemoteConfigState::Failed, error),
        };
        self.remote_status = Some(RemoteConfigStatus {
            last_hash: hash,
            state,
            error_message,
        });
        self.changed[2] = true;
    }

    /// The next message to send: what changed, or everything when a full state is due.
    /// A message with nothing new is the heartbeat.
    pub(crate) fn next_message(&mut self, disconnect: bool) -> Vec<u8> {
        let full = self.full_state_due;
        let include = |changed: bool| full || changed;
        let message = AgentToServer {
            instance_uid: &self.instance_uid,
            sequence_num: self.sequence_num,
            description: full.then_some((&self.identifying[..], &self.non_identifying[..])),
            capabilities: CAPABILITIES,
            health: self.health.as_ref().filter(|_| include(self.changed[0])),
            effective_config: self
                .effective_config
                .as_deref()
                .filter(|_| include(self.changed[1])),
            remote_config_status: self
                .remote_status
                .as_ref()
                .filter(|_| include(self.changed[2])),
            disconnect,
        };
        let body = message.encode();
        self.sequence_num += 1;
        self.full_state_due = false;
        self.changed = [false; 3];
        body
    }

    /// The last message did not reach the server: the next one carries the full state.
    pub(crate) fn send_failed(&mut self) {
        self.full_state_due = true;
    }

    /// Takes the server's answer to the last message.
    pub(crate) fn receive(&mut self, body: &[u8]) -> Answer {
        let mut answer = Answer::default();
        let Some(message) = decode_server_to_agent(body) else {
            self.full_state_due = true;
            answer.error = Some("the server's answer is not a ServerToAgent message".into());
            return answer;
        };
        if let Some(error) = message.error {
            answer.error = Some(if error.message.is_empty() {
                format!("the server refused the message (error type {})", error.kind)
            } else {
                error.message
            });
            answer.retry_after = error.retry_after_nanos.map(Duration::from_nanos);
            // The server did not take this message's state.
            self.full_state_due = true;
            return answer;
        }
        if let Some(uid) = message
            .new_instance_uid
            .and_then(|uid| <[u8; 16]>::try_from(uid).ok())
        {
            self.instance_uid = uid;
            self.full_state_due = true;
        }
        if message.flags & REPORT_FULL_STATE != 0 {
            self.full_state_due = true;
        }
        if let Some(config) = message.remote_config {
            if self.last_hash.as_ref() != Some(&config.hash) {
                self.last_hash = Some(config.hash.clone());
                answer.remote_config = Some((config.hash, settings_of(&config.files)));
            }
        }
        answer.send_soon = self.has_news();
        answer
    }
}

/// The settings in a config map: its one JSON file (named `""` or anything).
fn settings_of(files: &[(String, Vec<u8>, String)]) -> Result<RemoteSettings, String> {
    let [(_, body, content_type)] = files else {
        return Err(format!(
            "expected one configuration file (JSON), got {}",
            files.len()
        ));
    };
    if !(content_type.is_empty() || content_type.starts_with("application/json")) {
        return Err(format!(
            "the configuration's content type is '{content_type}': only application/json is read"
        ));
    }
    if body.len() > MAX_CONFIG_BYTES {
        return Err(format!(
            "the configuration is {} bytes: at most {MAX_CONFIG_BYTES} are read",
            body.len()
        ));
    }
    RemoteSettings::parse(body)
}

#[cfg(test)]
mod tests;
