//! The OpAMP messages we exchange, on the wire of opamp-spec's `opamp.proto` (pinned at the
//! version opamp-go v0.23.0 generates from): `AgentToServer` written field by field with
//! the OTLP encoder's helpers (`KeyValue` and `AnyValue` are the same messages), and the
//! fields of `ServerToAgent` an agent of ours acts on read by hand, everything else skipped.

use prost::encoding::WireType;

use crate::encoding::protobuf::{
    put_bytes, put_key, put_nested, put_optional_bytes, put_optional_fixed64, put_optional_varint,
    put_varint, write_key_values,
};
use crate::export::wire::{self, key, length_delimited, skip, varint};
use crate::model::KeyValue;

/// `AgentCapabilities` bits.
pub(crate) mod capability {
    pub(crate) const REPORTS_STATUS: u64 = 0x1;
    pub(crate) const ACCEPTS_REMOTE_CONFIG: u64 = 0x2;
    pub(crate) const REPORTS_EFFECTIVE_CONFIG: u64 = 0x4;
    pub(crate) const REPORTS_HEALTH: u64 = 0x800;
    pub(crate) const REPORTS_REMOTE_CONFIG: u64 = 0x1000;
    pub(crate) const REPORTS_HEARTBEAT: u64 = 0x2000;
}

/// `ServerToAgentFlags_ReportFullState`.
pub(crate) const REPORT_FULL_STATE: u64 = 0x1;

/// `RemoteConfigStatuses`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RemoteConfigState {
    Applied = 1,
    Failed = 3,
}

/// `ComponentHealth`, for the whole agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Health {
    pub(crate) healthy: bool,
    pub(crate) start_time_unix_nano: u64,
    pub(crate) last_error: String,
    pub(crate) status: String,
    pub(crate) status_time_unix_nano: u64,
}

/// `RemoteConfigStatus`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RemoteConfigStatus {
    pub(crate) last_hash: Vec<u8>,
    pub(crate) state: RemoteConfigState,
    pub(crate) error_message: String,
}

/// What one `AgentToServer` carries; the state the client omits when unchanged is `None`.
pub(crate) struct AgentToServer<'a> {
    pub(crate) instance_uid: &'a [u8; 16],
    pub(crate) sequence_num: u64,
    /// Identifying and non-identifying attributes.
    pub(crate) description: Option<(&'a [KeyValue], &'a [KeyValue])>,
    pub(crate) capabilities: u64,
    pub(crate) health: Option<&'a Health>,
    /// The effective configuration: one JSON file.
    pub(crate) effective_config: Option<&'a str>,
    pub(crate) remote_config_status: Option<&'a RemoteConfigStatus>,
    pub(crate) disconnect: bool,
}

impl AgentToServer<'_> {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        put_bytes(1, self.instance_uid, &mut out);
        put_optional_varint(2, self.sequence_num, &mut out);
        if let Some((identifying, non_identifying)) = self.description {
            put_nested(3, 2, &mut out, |out| {
                write_key_values(1, identifying, out);
                write_key_values(2, non_identifying, out);
            });
        }
        put_optional_varint(4, self.capabilities, &mut out);
        if let Some(health) = self.health {
            put_nested(5, 1, &mut out, |out| {
                put_optional_varint(1, u64::from(health.healthy), out);
                put_optional_fixed64(2, health.start_time_unix_nano, out);
                put_optional_bytes(3, health.last_error.as_bytes(), out);
                put_optional_bytes(4, health.status.as_bytes(), out);
                put_optional_fixed64(5, health.status_time_unix_nano, out);
            });
        }
        if let Some(body) = self.effective_config {
            // EffectiveConfig { AgentConfigMap config_map = 1 } → map<string, AgentConfigFile>
            // entry { key = 1; value = 2 } → AgentConfigFile { body = 1; content_type = 2 }.
            put_nested(6, 2, &mut out, |out| {
                put_nested(1, 2, out, |out| {
                    put_nested(1, 2, out, |out| {
                        put_bytes(1, b"", out);
                        put_nested(2, 2, out, |out| {
                            put_optional_bytes(1, body.as_bytes(), out);
                            put_bytes(2, b"application/json", out);
                        });
                    });
                });
            });
        }
        if let Some(status) = self.remote_config_status {
            put_nested(7, 1, &mut out, |out| {
                put_optional_bytes(1, &status.last_hash, out);
                put_optional_varint(2, status.state as u64, out);
                put_optional_bytes(3, status.error_message.as_bytes(), out);
            });
        }
        if self.disconnect {
            put_key(9, WireType::LengthDelimited, &mut out);
            put_varint(0, &mut out);
        }
        out
    }
}

/// The fields of a `ServerToAgent` we act on.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ServerToAgent {
    pub(crate) error: Option<ServerError>,
    pub(crate) remote_config: Option<RemoteConfig>,
    pub(crate) flags: u64,
    /// `AgentIdentification.new_instance_uid`.
    pub(crate) new_instance_uid: Option<Vec<u8>>,
}

/// `ServerErrorResponse`.
#[derive(Debug, PartialEq)]
pub(crate) struct ServerError {
    /// `ServerErrorResponseType`: 0 unknown, 1 bad request, 2 unavailable.
    pub(crate) kind: u64,
    pub(crate) message: String,
    pub(crate) retry_after_nanos: Option<u64>,
}

/// `AgentRemoteConfig`: the files of its config map and its hash.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct RemoteConfig {
    /// Name, body, content type.
    pub(crate) files: Vec<(String, Vec<u8>, String)>,
    pub(crate) hash: Vec<u8>,
}

/// Reads a `ServerToAgent`; `None` when it is not one.
pub(crate) fn decode_server_to_agent(mut body: &[u8]) -> Option<ServerToAgent> {
    let mut message = ServerToAgent::default();
    while !body.is_empty() {
        match key(&mut body)? {
            (2, wire::WireType::LengthDelimited) => {
                message.error = Some(decode_error(length_delimited(&mut body)?)?);
            }
            (3, wire::WireType::LengthDelimited) => {
                message.remote_config = Some(decode_remote_config(length_delimited(&mut body)?)?);
            }
            (6, wire::WireType::Varint) => message.flags = varint(&mut body)?,
            (8, wire::WireType::LengthDelimited) => {
                let mut identification = length_delimited(&mut body)?;
                while !identification.is_empty() {
                    match key(&mut identification)? {
                        (1, wire::WireType::LengthDelimited) => {
                            message.new_instance_uid =
                                Some(length_delimited(&mut identification)?.to_vec());
                        }
                        (_, wire_type) => skip(wire_type, &mut identification)?,
                    }
                }
            }
            (_, wire_type) => skip(wire_type, &mut body)?,
        }
    }
    Some(message)
}

fn text(bytes: &[u8]) -> Option<String> {
    std::str::from_utf8(bytes).ok().map(str::to_owned)
}

fn decode_error(mut body: &[u8]) -> Option<ServerError> {
    let mut error = ServerError {
        kind: 0,
        message: String::new(),
        retry_after_nanos: None,
    };
    while !body.is_empty() {
        match key(&mut body)? {
            (1, wire::WireType::Varint) => error.kind = varint(&mut body)?,
            (2, wire::WireType::LengthDelimited) => {
                error.message = text(length_delimited(&mut body)?)?
            }
            (3, wire::WireType::LengthDelimited) => {
                let mut retry = length_delimited(&mut body)?;
                while !retry.is_empty() {
                    match key(&mut retry)? {
                        (1, wire::WireType::Varint) => {
                            error.retry_after_nanos = Some(varint(&mut retry)?)
                        }
                        (_, wire_type) => skip(wire_type, &mut retry)?,
                    }
                }
            }
            (_, wire_type) => skip(wire_type, &mut body)?,
        }
    }
    Some(error)
}

fn decode_remote_config(mut body: &[u8]) -> Option<RemoteConfig> {
    let mut config = RemoteConfig::default();
    while !body.is_empty() {
        match key(&mut body)? {
            (1, wire::WireType::LengthDelimited) => {
                // AgentConfigMap { map<string, AgentConfigFile> config_map = 1 }
                let mut map = length_delimited(&mut body)?;
                while !map.is_empty() {
                    match key(&mut map)? {
                        (1, wire::WireType::LengthDelimited) => {
                            config
                                .files
                                .push(decode_file_entry(length_delimited(&mut map)?)?);
                        }
                        (_, wire_type) => skip(wire_type, &mut map)?,
                    }
                }
            }
            (2, wire::WireType::LengthDelimited) => {
                config.hash = length_delimited(&mut body)?.to_vec()
            }
            (_, wire_type) => skip(wire_type, &mut body)?,
        }
    }
    Some(config)
}

fn decode_file_entry(mut entry: &[u8]) -> Option<(String, Vec<u8>, String)> {
    let (mut name, mut file_body, mut content_type) = (String::new(), Vec::new(), String::new());
    while !entry.is_empty() {
        match key(&mut entry)? {
            (1, wire::WireType::LengthDelimited) => name = text(length_delimited(&mut entry)?)?,
            (2, wire::WireType::LengthDelimited) => {
                let mut file = length_delimited(&mut entry)?;
                while !file.is_empty() {
                    match key(&mut file)? {
                        (1, wire::WireType::LengthDelimited) => {
                            file_body = length_delimited(&mut file)?.to_vec()
                        }
                        (2, wire::WireType::LengthDelimited) => {
                            content_type = text(length_delimited(&mut file)?)?
                        }
                        (_, wire_type) => skip(wire_type, &mut file)?,
                    }
                }
            }
            (_, wire_type) => skip(wire_type, &mut entry)?,
        }
    }
    Some((name, file_body, content_type))
}
