//! The `tracing` layer on a global registry with the gRPC exporter: h2, hyper and tonic
//! open spans inside every export, on the collector's own threads. Recorded, each export
//! would feed the next and an idle service would export forever; the layer leaves the
//! collector's threads out. A binary of its own: it sets the process's global subscriber.
use std::time::Duration;

use otlp_collector::{Collector, Config, Protocol};
use otlp_test_receiver::GrpcReceiver;
use tracing_subscriber::prelude::*;

#[test]
fn the_collectors_own_threads_are_not_traced() {
    // The receiver (tonic and h2 too) runs on threads that trace to nothing.
    let receiver_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .on_thread_start(|| {
            std::mem::forget(tracing::subscriber::set_default(
                tracing::subscriber::NoSubscriber::default(),
            ))
        })
        .build()
        .unwrap();
    let receiver = receiver_runtime
        .block_on(async { tokio::spawn(GrpcReceiver::start()).await })
        .unwrap()
        .unwrap();
    let collector = Collector::new(
        Config::default()
            .with_protocol(Protocol::Grpc)
            .with_endpoint(receiver.endpoint()),
    )
    .unwrap();
    tracing_subscriber::registry()
        .with(collector.tracing_layer())
        .init();

    tracing::info_span!("app-request").in_scope(|| tracing::info!("handled"));
    for _ in 0..4 {
        receiver_runtime.block_on(collector.flush()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    let names: Vec<String> = receiver.spans().into_iter().map(|span| span.name).collect();
    assert_eq!(
        names,
        ["app-request"],
        "the exporter's own spans were exported"
    );
    let stats = collector.stats();
    assert_eq!((stats.collected, stats.exported), (1, 1), "{stats:?}");
    receiver_runtime.block_on(collector.shutdown()).unwrap();
}
