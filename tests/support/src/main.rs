//! Runs the loopback receiver on its own and prints what it decodes, e.g. as the target of
//! a demo page or of a service pointed at it with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
//!
//! `cargo run -p otlp-test-receiver -- [--port 4318]`

use std::time::Duration;

use otlp_test_receiver::{describe_span, Receiver, ReceiverOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut port = 4318;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .ok_or("--port needs a number")?
                    .parse()
                    .map_err(|_| "--port needs a number from 0 to 65535")?;
            }
            other => return Err(format!("unknown argument {other:?}; usage: [--port N]").into()),
        }
    }
    let receiver = Receiver::start_with(ReceiverOptions {
        keep_requests: true,
        port,
    })
    .await?;
    println!("OTLP/HTTP receiver listening on {}", receiver.endpoint());
    let mut shown = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let spans = receiver.spans();
        for span in &spans[shown..] {
            println!("{}", describe_span(span));
        }
        shown = spans.len();
    }
}
