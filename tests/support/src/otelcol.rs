//! The OpenTelemetry Collector as a test peer: a process of the distribution that
//! tests/install_toolchain.sh builds from tests/collector/ (its path in `OTLP_OTELCOL_BIN`),
//! started on loopback ports of its own with one of the configurations in tests/collector/
//! or deploy/, and stopped when dropped.
//!
//! Configurations read their ports and targets from environment variables, the way a
//! deployment sets them: the launcher picks free ports for `OTELCOL_GRPC_ENDPOINT` and
//! `OTELCOL_HTTP_ENDPOINT`, the test gives the rest.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// How long a Collector may take to open its ports (a cold start on a busy 2-core machine).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a graceful stop may take before the process is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running Collector.
pub struct Otelcol {
    binary: PathBuf,
    config: PathBuf,
    env: Vec<(String, String)>,
    child: Child,
    log: PathBuf,
    /// Its OTLP/gRPC receiver.
    pub grpc: SocketAddr,
    /// Its OTLP/HTTP receiver.
    pub http: SocketAddr,
}

impl Otelcol {
    /// The Collector binary the test command built, or `None` when `OTLP_OTELCOL_BIN` is
    /// unset (outside tests/run_all.sh).
    pub fn binary() -> Option<PathBuf> {
        std::env::var_os("OTLP_OTELCOL_BIN").map(PathBuf::from)
    }

    /// Starts the Collector with `config` (a path relative to the repository root) and
    /// `env`, and waits until both receivers accept connections. `None` when
    /// `OTLP_OTELCOL_BIN` is unset.
    pub fn start(config: &str, env: &[(&str, &str)]) -> Option<Otelcol> {
        let binary = Self::binary()?;
        let config = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(config);
        let (grpc, http) = (free_port(), free_port());
        let mut env: Vec<(String, String)> = env
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        env.push(("OTELCOL_GRPC_ENDPOINT".into(), grpc.to_string()));
        env.push(("OTELCOL_HTTP_ENDPOINT".into(), http.to_string()));
        let log = std::env::temp_dir().join(format!(
            "otelcol-{}-{}.log",
            std::process::id(),
            http.port()
        ));
        let child = spawn(&binary, &config, &env, &log);
        let collector = Otelcol {
            binary,
            config,
            env,
            child,
            log,
            grpc,
            http,
        };
        collector.wait_until_listening();
        Some(collector)
    }

    /// The OTLP/HTTP traces endpoint.
    pub fn http_endpoint(&self) -> String {
        format!("http://{}/v1/traces", self.http)
    }

    /// The OTLP/gRPC endpoint.
    pub fn grpc_endpoint(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// Stops the process at once (SIGKILL: whatever it held is lost, as in a crash).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops it as an orchestrator does (SIGTERM): it stops receiving, drains what it
    /// queued, and exits; killed after `STOP_TIMEOUT`.
    pub fn stop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) with a child's pid and a signal number has no memory effects.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }

    /// Starts it again on the same ports, with `env` changed on top of what it had.
    pub fn start_again(&mut self, env: &[(&str, &str)]) {
        for (key, value) in env {
            self.env.retain(|(existing, _)| existing != key);
            self.env.push((key.to_string(), value.to_string()));
        }
        self.kill();
        self.child = spawn(&self.binary, &self.config, &self.env, &self.log);
        self.wait_until_listening();
    }

    /// What the Collector logged so far (its log level is `warn` unless the test sets
    /// `OTELCOL_LOG_LEVEL`).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_until_listening(&self) {
        let started = Instant::now();
        while [self.grpc, self.http]
            .iter()
            .any(|address| TcpStream::connect(address).is_err())
        {
            assert!(
                started.elapsed() < START_TIMEOUT,
                "the Collector did not listen within {START_TIMEOUT:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Otelcol {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn spawn(binary: &Path, config: &Path, env: &[(String, String)], log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("a log file in the temporary directory");
    Command::new(binary)
        .arg("--config")
        .arg(config)
        .envs(env.iter().map(|(key, value)| (key, value)))
        .stdout(log.try_clone().expect("the log file again"))
        .stderr(log)
        .spawn()
        .expect("the Collector starts")
}

/// A loopback port nothing listens on now.
pub fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
}
