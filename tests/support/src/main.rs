//! Runs the loopback receiver on its own and prints what it decodes, e.g. as the target of
//! a demo page or of a service pointed at it with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
//!
//! `cargo run -p otlp-test-receiver -- [--port 4318] [--static www] [--count]` — with
//! `--static` it also serves that folder (the demo page) and the demo API on the same
//! origin; with `--count` it keeps nothing and prints only how many spans it has decoded
//! (a sink for benchmarks run by hand).

use std::time::Duration;

use otlp_test_receiver::{describe_span, Receiver, ReceiverOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut port = 4318;
    let mut static_dir = None;
    let mut count_only = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .ok_or("--port needs a number")?
                    .parse()
                    .map_err(|_| "--port needs a number from 0 to 65535")?;
            }
            "--static" => {
                static_dir = Some(std::path::PathBuf::from(
                    args.next().ok_or("--static needs a folder")?,
                ));
            }
            "--count" => count_only = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: [--port N] [--static DIR] [--count]"
                )
                .into())
            }
        }
    }
    let serves_page = static_dir.is_some();
    let receiver = Receiver::start_with(ReceiverOptions {
        keep_requests: !count_only,
        port,
        static_dir,
        ..ReceiverOptions::default()
    })
    .await?;
    println!("OTLP/HTTP receiver listening on {}", receiver.endpoint());
    if serves_page {
        println!("demo page at http://{}/", receiver.addr());
    }
    let mut shown = 0;
    let mut counted = 0;
    loop {
        if count_only {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if receiver.span_count() != counted {
                counted = receiver.span_count();
                println!("{counted} spans");
            }
            continue;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let spans = receiver.spans();
        for span in &spans[shown..] {
            println!("{}", describe_span(span));
        }
        shown = spans.len();
    }
}
