//! How spans leave the process, and what a backend can do to them: error answers, hostile
//! servers, fan-out to several destinations, gRPC and TLS.
//! One test binary, a module per topic (each file says what it tries).

#![cfg(not(target_arch = "wasm32"))]

mod backend_errors;
mod fanout;
#[cfg(all(feature = "grpc", feature = "gzip"))]
mod grpc;
mod hostile_servers;
mod lookahead;
#[cfg(feature = "tls")]
mod tls;
