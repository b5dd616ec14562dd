//! A real OpAMP server as a test peer: the program tests/install_toolchain.sh builds from
//! tests/opamp_server/ on opamp-go's server package (its path in `OTLP_OPAMP_SERVER_BIN`),
//! started on loopback ports of its own and stopped when dropped. Its control API tells
//! what each agent reported and takes the remote configuration to push.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

/// A running OpAMP server.
pub struct OpampServer {
    child: Child,
    opamp: SocketAddr,
    control: SocketAddr,
}

impl OpampServer {
    /// The server binary the test command built, or `None` outside tests/run_all.sh.
    pub fn binary() -> Option<PathBuf> {
        std::env::var_os("OTLP_OPAMP_SERVER_BIN").map(PathBuf::from)
    }

    /// Starts the server and waits until both its ports accept connections; `None` when
    /// `OTLP_OPAMP_SERVER_BIN` is unset.
    pub fn start() -> Option<OpampServer> {
        let binary = Self::binary()?;
        let (opamp, control) = (free_port(), free_port());
        let child = Command::new(binary)
            .arg("-opamp")
            .arg(opamp.to_string())
            .arg("-control")
            .arg(control.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the OpAMP server starts");
        let server = OpampServer {
            child,
            opamp,
            control,
        };
        let started = Instant::now();
        while [opamp, control]
            .iter()
            .any(|address| TcpStream::connect(address).is_err())
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the OpAMP server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }

    /// Where agents connect.
    pub fn endpoint(&self) -> String {
        format!("http://{}/v1/opamp", self.opamp)
    }

    /// Every agent the server heard from, by instance uid (hex): what each reported last
    /// (`identifying`, `nonIdentifying`, `capabilities`, `healthy`, `lastError`,
    /// `effectiveConfig`, `remoteStatus`, `remoteHash`, `remoteError`, `sequenceNums`,
    /// `fullStates`, `messages`, `disconnected`).
    pub fn agents(&self) -> serde_json::Value {
        let body = self.request("GET", "/agents", "", "");
        serde_json::from_str(&body).expect("the control API answers JSON")
    }

    /// Makes `body` (with `content_type`) the remote configuration every agent is sent;
    /// returns its hash (hex).
    pub fn set_config(&self, body: &str, content_type: &str) -> String {
        self.request("POST", "/config", content_type, body)
            .trim()
            .to_owned()
    }

    /// Refuses the next `messages` unread (503 with `Retry-After: retry_after_seconds`), as
    /// if they were lost on the way.
    pub fn refuse_next(&self, messages: usize, retry_after_seconds: u64) {
        self.request(
            "POST",
            &format!("/refuse?n={messages}&retry-after={retry_after_seconds}"),
            "",
            "",
        );
    }

    /// Answers the next message with a `ServerErrorResponse` (Unavailable) whose retry info
    /// asks for `retry_after_ms`.
    pub fn unavailable_next(&self, retry_after_ms: u64) {
        self.request(
            "POST",
            &format!("/unavailable?retry-after-ms={retry_after_ms}"),
            "",
            "",
        );
    }

    /// Answers every message `ms` milliseconds late from now on (0: on time).
    pub fn stall(&self, ms: u64) {
        self.request("POST", &format!("/stall?ms={ms}"), "", "");
    }

    /// How many messages were refused so far.
    pub fn refused(&self) -> usize {
        self.request("GET", "/refused", "", "")
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// Asks every agent for its full state in the next answer.
    pub fn ask_full_state(&self) {
        self.request("POST", "/report-full-state", "", "");
    }

    /// Waits until `check` holds for the agents' report (polling the control API), and
    /// returns that report; panics with the last one after `timeout`.
    pub fn wait_for(
        &self,
        timeout: Duration,
        what: &str,
        check: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let started = Instant::now();
        loop {
            let agents = self.agents();
            if check(&agents) {
                return agents;
            }
            assert!(
                started.elapsed() < timeout,
                "{what} within {timeout:?}; the server has: {agents:#}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn request(&self, method: &str, path: &str, content_type: &str, body: &str) -> String {
        let mut stream = TcpStream::connect(self.control).expect("the control API");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            self.control,
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body.as_bytes()))
            .expect("a request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("an answer");
        let (status, rest) = answer.split_once("\r\n").unwrap_or((&answer, ""));
        assert!(status.contains(" 200 "), "{method} {path}: {status}");
        let body = rest.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        // Go's server may answer chunked; the control API's answers are small, one chunk.
        if answer
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            let (_, chunk) = body.split_once("\r\n").unwrap_or(("", ""));
            return chunk
                .rsplit_once("\r\n0\r\n")
                .map_or(chunk, |(chunk, _)| chunk)
                .to_owned();
        }
        body.to_owned()
    }
}

impl Drop for OpampServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
