//! A hostile HTTP server for fault tests: it speaks just enough HTTP/1.1 by hand to answer
//! every request with whatever a test scripts — a redirect, a body of any size streamed
//! without holding it in memory — and records what it was sent.
//!
//! Like the receiver it listens on 127.0.0.1 only and stops when dropped.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::lock;

/// What the server answers to every request.
#[derive(Clone, Debug)]
pub struct HostileAnswer {
    /// The status line and headers, without the blank line that ends them; a
    /// `content-length` for `body_len` is added.
    pub head: String,
    /// Bytes of body streamed after the head (zeros, written in 64 KiB chunks).
    pub body_len: u64,
}

impl HostileAnswer {
    /// A redirect with `status` to `location`.
    pub fn redirect(status: u16, location: &str) -> HostileAnswer {
        HostileAnswer {
            head: format!("HTTP/1.1 {status} Moved\r\nlocation: {location}"),
            body_len: 0,
        }
    }

    /// A response with `status` and a body of `body_len` bytes.
    pub fn huge_body(status: u16, body_len: u64) -> HostileAnswer {
        HostileAnswer {
            head: format!("HTTP/1.1 {status} Whatever\r\ncontent-type: application/x-protobuf"),
            body_len,
        }
    }
}

/// One request as the hostile server read it.
#[derive(Clone, Debug)]
pub struct HostileRequest {
    /// The request line, e.g. `POST /v1/traces HTTP/1.1`.
    pub request_line: String,
    /// Header names in lowercase, with their values.
    pub headers: Vec<(String, String)>,
    /// Bytes of body read (per `content-length`).
    pub body_len: usize,
}

#[derive(Default)]
struct Record {
    requests: Mutex<Vec<HostileRequest>>,
    body_bytes_written: AtomicU64,
}

/// A running hostile server.
pub struct HostileServer {
    addr: SocketAddr,
    record: Arc<Record>,
    server: JoinHandle<()>,
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl HostileServer {
    /// Starts a server on a free loopback port that answers every request with `answer`.
    pub async fn start(answer: HostileAnswer) -> std::io::Result<HostileServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let record = Arc::new(Record::default());
        let server = tokio::spawn(serve(listener, answer, Arc::clone(&record)));
        Ok(HostileServer {
            addr,
            record,
            server,
        })
    }

    /// Its OTLP/HTTP traces URL.
    pub fn endpoint(&self) -> String {
        format!("http://{}/v1/traces", self.addr)
    }

    /// The requests it read so far.
    pub fn requests(&self) -> Vec<HostileRequest> {
        lock(&self.record.requests).clone()
    }

    /// Body bytes it managed to write before clients hung up.
    pub fn body_bytes_written(&self) -> u64 {
        self.record.body_bytes_written.load(Ordering::SeqCst)
    }
}

async fn serve(listener: TcpListener, answer: HostileAnswer, record: Arc<Record>) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        while connections.try_join_next().is_some() {}
        let (answer, record) = (answer.clone(), Arc::clone(&record));
        connections.spawn(async move {
            let _ = answer_each(stream, &answer, &record).await;
        });
    }
}

/// Reads requests on one connection and answers each, until the client hangs up.
async fn answer_each(
    mut stream: TcpStream,
    answer: &HostileAnswer,
    record: &Record,
) -> std::io::Result<()> {
    let mut pending = Vec::new();
    loop {
        let head_end = loop {
            if let Some(end) = pending.windows(4).position(|window| window == b"\r\n\r\n") {
                break end;
            }
            let mut chunk = [0; 4096];
            let read = stream.read(&mut chunk).await?;
            if read == 0 || pending.len() > 1 << 20 {
                return Ok(());
            }
            pending.extend_from_slice(&chunk[..read]);
        };
        let head = String::from_utf8_lossy(&pending[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let body_len: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .and_then(|(_, value)| value.parse().ok())
            .unwrap_or(0);
        pending.drain(..head_end + 4);
        while pending.len() < body_len {
            let mut chunk = [0; 65536];
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                return Ok(());
            }
            pending.extend_from_slice(&chunk[..read]);
        }
        pending.drain(..body_len);
        lock(&record.requests).push(HostileRequest {
            request_line,
            headers,
            body_len,
        });
        let head = format!(
            "{}\r\ncontent-length: {}\r\n\r\n",
            answer.head, answer.body_len
        );
        stream.write_all(head.as_bytes()).await?;
        let chunk = vec![0u8; 65536];
        let mut left = answer.body_len;
        while left > 0 {
            let size = left.min(chunk.len() as u64) as usize;
            stream.write_all(&chunk[..size]).await?;
            record
                .body_bytes_written
                .fetch_add(size as u64, Ordering::SeqCst);
            left -= size as u64;
        }
    }
}
