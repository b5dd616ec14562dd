//! Where the collector reports itself and takes its remote configuration: an OpAMP server
//! (see `crate::opamp`), polled over plain HTTP.

use std::time::Duration;

use super::Config;

/// How often the server is asked for news when nothing happens (OpAMP's HTTP polling; the
/// server can answer sooner by asking for the full state, and a change is reported at once).
pub const DEFAULT_OPAMP_POLL_INTERVAL: Duration = Duration::from_secs(30);

/// The OpAMP server and how to reach it.
#[derive(Clone, PartialEq)]
pub(crate) struct OpampSettings {
    /// The server's OpAMP URL, e.g. `http://localhost:4320/v1/opamp`.
    pub(crate) endpoint: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) poll_interval: Duration,
    /// This process's id for the server; random (UUIDv7) when not given.
    pub(crate) instance_uid: Option<[u8; 16]>,
}

impl std::fmt::Debug for OpampSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("OpampSettings")
            .field(
                "endpoint",
                &super::endpoint::redact_password(&self.endpoint),
            )
            .field(
                "headers",
                &super::destination::RedactedHeaders(&self.headers),
            )
            .field("poll_interval", &self.poll_interval)
            .field("instance_uid", &self.instance_uid)
            .finish()
    }
}

impl Config {
    /// Reports the collector to the OpAMP server at `endpoint` (its HTTP URL, usually
    /// ending in `/v1/opamp`) and takes its remote configuration: the sampler and the OTTL
    /// transform statements and drop conditions, changed while spans flow (the README has
    /// the schema). Never the endpoint, headers or certificates.
    ///
    /// ```
    /// use otlp_collector::Config;
    /// let config = Config::default()
    ///     .with_opamp("http://localhost:4320/v1/opamp")
    ///     .with_opamp_header("authorization", "Bearer secret")
    ///     .with_opamp_poll_interval(std::time::Duration::from_secs(10));
    /// assert!(config.validate().is_ok());
    /// ```
    pub fn with_opamp(mut self, endpoint: impl Into<String>) -> Self {
        let settings = self.opamp.get_or_insert_with(|| OpampSettings {
            endpoint: String::new(),
            headers: Vec::new(),
            poll_interval: DEFAULT_OPAMP_POLL_INTERVAL,
            instance_uid: None,
        });
        settings.endpoint = endpoint.into();
        self
    }

    /// A header sent with every OpAMP request (e.g. an API key); needs [`with_opamp`](Self::with_opamp) first.
    pub fn with_opamp_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if let Some(settings) = &mut self.opamp {
            settings.headers.push((name.into(), value.into()));
        }
        self
    }

    /// How often the server is polled when nothing happens ([`DEFAULT_OPAMP_POLL_INTERVAL`]).
    pub fn with_opamp_poll_interval(mut self, interval: Duration) -> Self {
        if let Some(settings) = &mut self.opamp {
            settings.poll_interval = interval;
        }
        self
    }

    /// The instance uid the server knows this process by (16 bytes, a UUID); without it a
    /// random UUIDv7 is made for each process.
    pub fn with_opamp_instance_uid(mut self, uid: [u8; 16]) -> Self {
        if let Some(settings) = &mut self.opamp {
            settings.instance_uid = Some(uid);
        }
        self
    }

    /// The OpAMP server's URL, when one is configured.
    pub fn opamp_endpoint(&self) -> Option<&str> {
        self.opamp
            .as_ref()
            .map(|settings| settings.endpoint.as_str())
    }
}
