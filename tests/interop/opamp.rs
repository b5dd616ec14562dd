//! Steered by a real OpAMP server: opamp-go's server package (tests/opamp_server/, built by
//! tests/install_toolchain.sh, which exports OTLP_OPAMP_SERVER_BIN). The collector polls
//! it; each test reads what the server was told through its control API, pushes a remote
//! configuration, and watches what the collector does with the spans that follow.
use std::time::Duration;

use otlp_collector::{Collector, Config, Resource, Span};
use otlp_test_receiver::{HostileAnswer, HostileServer, OpampServer, Receiver};
use serde_json::Value as Json;

const WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(100);

/// What `Config::with_opamp` announces: ReportsStatus, AcceptsRemoteConfig,
/// ReportsEffectiveConfig, ReportsHealth, ReportsRemoteConfig, ReportsHeartbeat.
const CAPABILITIES: u64 = 0x1 | 0x2 | 0x4 | 0x800 | 0x1000 | 0x2000;

fn server() -> Option<OpampServer> {
    let server = OpampServer::start();
    if server.is_none() {
        eprintln!("OTLP_OPAMP_SERVER_BIN is not set: run through tests/run_all.sh");
    }
    server
}

fn config(server: &OpampServer, receiver: &Receiver, service: &str) -> Config {
    Config::default()
        .with_endpoint(receiver.endpoint())
        .with_resource(
            Resource::new(service.to_owned())
                .with_attribute("service.namespace", "shop")
                .with_attribute("service.instance.id", format!("{service}-1"))
                .with_attribute("deployment.environment.name", "test"),
        )
        .with_batch_timeout(Duration::from_millis(50))
        .with_opamp(server.endpoint())
        .with_opamp_header("authorization", "Bearer opamp-secret")
        .with_opamp_poll_interval(POLL)
}

/// The one agent whose `service.name` is `service`, once the server has it.
fn agent<'a>(agents: &'a Json, service: &str) -> Option<&'a Json> {
    agents
        .as_object()?
        .values()
        .find(|agent| agent["identifying"]["service.name"]["string"].as_str() == Some(service))
}

fn effective(agent: &Json) -> Json {
    serde_json::from_str(agent["effectiveConfig"][""].as_str().unwrap_or("{}"))
        .unwrap_or(Json::Null)
}

/// Pushes `body` and waits until the agent reports it `status` (`APPLIED` or `FAILED`).
fn push(server: &OpampServer, service: &str, body: &str, status: &str) -> Json {
    let hash = server.set_config(body, "application/json");
    let pushed = std::time::Instant::now();
    let agents = server.wait_for(
        WAIT,
        &format!("{service} reports {status} for {body}"),
        |agents| {
            agent(agents, service).is_some_and(|agent| {
                agent["remoteHash"] == hash.as_str()
                    && agent["remoteStatus"] == format!("RemoteConfigStatuses_{status}")
            })
        },
    );
    // Poll to applied, for the record (the poll interval is 100 ms): not asserted.
    eprintln!(
        "{service}: {status} reported {:?} after the push",
        pushed.elapsed()
    );
    agent(&agents, service).cloned().unwrap_or(Json::Null)
}

async fn spans_named(
    receiver: &Receiver,
    prefix: &str,
    count: usize,
) -> Vec<otlp_test_receiver::trace::Span> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let spans: Vec<_> = receiver
            .spans()
            .into_iter()
            .filter(|span| span.name.starts_with(prefix))
            .collect();
        if spans.len() >= count || std::time::Instant::now() > deadline {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_sees_the_agent_with_its_description_capabilities_health_and_configuration() {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-described")).unwrap();
    let agents = server.wait_for(WAIT, "the agent appears", |agents| {
        agent(agents, "opamp-described").is_some_and(|agent| agent["healthy"] == true)
    });
    let described = agent(&agents, "opamp-described").unwrap();
    assert_eq!(
        described["identifying"]["service.namespace"]["string"],
        "shop"
    );
    assert_eq!(
        described["identifying"]["service.instance.id"]["string"],
        "opamp-described-1"
    );
    assert_eq!(
        described["nonIdentifying"]["deployment.environment.name"]["string"],
        "test"
    );
    assert_eq!(
        described["nonIdentifying"]["telemetry.sdk.name"]["string"],
        "otlp-collector"
    );
    assert_eq!(described["capabilities"], CAPABILITIES);
    let effective = effective(described);
    assert_eq!(effective["sampler"]["type"], "parentbased_always_on");
    assert_eq!(effective["endpoint"], receiver.endpoint());
    assert_eq!(effective["transform"], serde_json::json!([]));
    let numbers: Vec<u64> = serde_json::from_value(described["sequenceNums"].clone()).unwrap();
    assert!(
        numbers.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{numbers:?}"
    );
    collector.shutdown().await.unwrap();
    server.wait_for(WAIT, "the agent says goodbye", |agents| {
        agent(agents, "opamp-described").is_some_and(|agent| agent["disconnected"] == true)
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_sampling_ratio_takes_effect_within_one_poll() {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-sampled")).unwrap();
    let agent = push(
        &server,
        "opamp-sampled",
        r#"{"sampler": {"type": "traceidratio", "ratio": 0.25}}"#,
        "APPLIED",
    );
    assert_eq!(
        effective(&agent)["sampler"],
        serde_json::json!({"type": "traceidratio", "ratio": 0.25})
    );
    const TRACES: usize = 4000;
    for _ in 0..TRACES {
        let _ = collector.collect(collector.start_span("sampled").end());
    }
    collector.flush().await.unwrap();
    let kept = receiver
        .spans()
        .iter()
        .filter(|span| span.name == "sampled")
        .count() as f64;
    // A quarter, within 5 σ of the binomial.
    let (expected, sigma) = (TRACES as f64 * 0.25, (TRACES as f64 * 0.25 * 0.75).sqrt());
    assert!(
        (kept - expected).abs() < 5.0 * sigma,
        "{kept} of {TRACES} kept at ratio 0.25"
    );
    assert_eq!(collector.stats().sampled_out as f64 + kept, TRACES as f64);
    collector.shutdown().await.unwrap();
}

#[cfg(feature = "transform")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_transform_statement_redacts_the_next_spans_and_a_bad_configuration_changes_nothing(
) {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-redacted")).unwrap();
    push(
        &server,
        "opamp-redacted",
        r#"{"transform": ["delete_key(attributes, \"user.email\")"], "dropSpans": ["name == \"health\""]}"#,
        "APPLIED",
    );
    let _ = collector.collect(
        Span::new("checkout")
            .with_attribute("user.email", "a@b.c")
            .with_attribute("kept", 1)
            .end(),
    );
    let _ = collector.collect(Span::new("health").end());
    collector.flush().await.unwrap();
    let spans = spans_named(&receiver, "checkout", 1).await;
    assert_eq!(spans.len(), 1);
    let keys: Vec<&str> = spans[0]
        .attributes
        .iter()
        .map(|attribute| attribute.key.as_str())
        .collect();
    assert_eq!(keys, ["kept"], "user.email is gone");
    assert_eq!(
        collector.stats().filtered_out,
        1,
        "the health check was dropped"
    );

    // Neither a ratio out of range nor a rule that does not compile changes anything.
    for (body, reason) in [
        (
            r#"{"sampler": {"ratio": 2}}"#,
            "`sampler.ratio` must be a number from 0 to 1",
        ),
        (
            r#"{"transform": ["delete_key(attributes"]}"#,
            "rule `delete_key(attributes` is invalid at column",
        ),
        (r#"{"samplr": {}}"#, "unknown setting `samplr`"),
        ("not json", "invalid JSON"),
    ] {
        let agent = push(&server, "opamp-redacted", body, "FAILED");
        assert!(
            agent["remoteError"].as_str().unwrap().contains(reason),
            "{agent:#}"
        );
        assert_eq!(
            effective(&agent)["transform"],
            serde_json::json!(["delete_key(attributes, \"user.email\")"]),
            "the last good configuration still runs"
        );
    }
    let _ = collector.collect(
        Span::new("checkout-after")
            .with_attribute("user.email", "a@b.c")
            .end(),
    );
    collector.flush().await.unwrap();
    assert!(spans_named(&receiver, "checkout-after", 1).await[0]
        .attributes
        .is_empty());
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_state_is_sent_when_the_server_asks_for_it() {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-full")).unwrap();
    server.wait_for(WAIT, "the agent appears", |agents| {
        agent(agents, "opamp-full").is_some()
    });
    server.ask_full_state();
    server.wait_for(WAIT, "a second full state", |agents| {
        agent(agents, "opamp-full").is_some_and(|agent| agent["fullStates"].as_u64() >= Some(2))
    });
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_turns_unhealthy_when_exports_fail_and_back_when_they_succeed() {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-health").with_retry(
        otlp_collector::RetryPolicy {
            max_retries: 0,
            ..Default::default()
        },
    ))
    .unwrap();
    server.wait_for(WAIT, "healthy at first", |agents| {
        agent(agents, "opamp-health").is_some_and(|agent| agent["healthy"] == true)
    });
    receiver.respond_with([400]);
    let _ = collector.collect(Span::new("refused").end());
    let _ = collector.flush().await;
    let agents = server.wait_for(WAIT, "unhealthy", |agents| {
        agent(agents, "opamp-health").is_some_and(|agent| agent["healthy"] == false)
    });
    assert!(agent(&agents, "opamp-health").unwrap()["lastError"]
        .as_str()
        .unwrap()
        .contains("400"));
    let _ = collector.collect(Span::new("accepted").end());
    collector.flush().await.unwrap();
    server.wait_for(WAIT, "healthy again", |agents| {
        agent(agents, "opamp-health").is_some_and(|agent| agent["healthy"] == true)
    });
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_flow_while_the_server_is_down() {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-down")).unwrap();
    server.wait_for(WAIT, "the agent appears", |agents| {
        agent(agents, "opamp-down").is_some()
    });
    drop(server);
    for i in 0..500 {
        let _ = collector.collect(Span::new(format!("while-down-{i}")).end());
    }
    collector.flush().await.unwrap();
    assert_eq!(spans_named(&receiver, "while-down-", 500).await.len(), 500);
    let stats = collector.stats();
    assert_eq!((stats.exported, stats.dropped()), (500, 0));
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_flow_while_the_server_answers_with_garbage_huge_bodies_or_redirects() {
    if OpampServer::binary().is_none() {
        return;
    }
    for answer in [
        HostileAnswer::huge_body(200, 50 << 20),
        HostileAnswer::huge_body(503, 50 << 20),
        HostileAnswer::redirect(307, "http://127.0.0.1:1/v1/opamp"),
    ] {
        let hostile = HostileServer::start(answer.clone()).await.unwrap();
        let receiver = Receiver::start().await.unwrap();
        let config = Config::default()
            .with_endpoint(receiver.endpoint())
            .with_batch_timeout(Duration::from_millis(50))
            .with_opamp(hostile.endpoint())
            .with_opamp_poll_interval(Duration::from_millis(20));
        let collector = Collector::new(config).unwrap();
        for i in 0..300 {
            let _ = collector.collect(Span::new(format!("hostile-{i}")).end());
        }
        collector.flush().await.unwrap();
        assert_eq!(
            spans_named(&receiver, "hostile-", 300).await.len(),
            300,
            "{answer:?}"
        );
        collector.shutdown().await.unwrap();
        let polls = hostile.requests().len();
        assert!(polls >= 2, "{answer:?}: polled {polls} times");
        // Each answer was cut off after the most an OpAMP answer may be, not read whole.
        assert!(
            hostile.body_bytes_written() < polls as u64 * (8 << 20),
            "{answer:?}: {} bytes written for {polls} polls",
            hostile.body_bytes_written()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_switched_off_and_on_counts_what_it_does_not_send() {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-switch")).unwrap();
    let off = push(&server, "opamp-switch", r#"{"export": false}"#, "APPLIED");
    assert_eq!(effective(&off)["export"], false);
    for i in 0..100 {
        let _ = collector.collect(Span::new(format!("while-off-{i}")).end());
    }
    collector.flush().await.unwrap();
    let stats = collector.stats();
    assert_eq!(
        (stats.exported, stats.filtered_out, stats.dropped()),
        (0, 100, 0)
    );
    push(&server, "opamp-switch", r#"{"export": true}"#, "APPLIED");
    for i in 0..100 {
        let _ = collector.collect(Span::new(format!("while-on-{i}")).end());
    }
    collector.flush().await.unwrap();
    assert_eq!(spans_named(&receiver, "while-on-", 100).await.len(), 100);
    assert!(receiver
        .spans()
        .iter()
        .all(|span| !span.name.starts_with("while-off-")));
    assert_eq!(collector.stats().exported, 100);
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_batch_size_and_span_limits_apply_to_the_next_spans() {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-batch")).unwrap();
    let agent = push(
        &server,
        "opamp-batch",
        r#"{"batch": {"size": 10, "timeoutMs": 40}, "spanLimits": {"attributes": 2}}"#,
        "APPLIED",
    );
    assert_eq!(
        effective(&agent)["batch"],
        serde_json::json!({"size": 10, "timeoutMs": 40})
    );
    for i in 0..30 {
        let span = collector
            .start_span(format!("limited-{i}"))
            .with_attribute("a", 1)
            .with_attribute("b", 2)
            .with_attribute("c", 3);
        let _ = collector.collect(span.end());
    }
    collector.flush().await.unwrap();
    let spans = spans_named(&receiver, "limited-", 30).await;
    assert!(spans
        .iter()
        .all(|span| span.attributes.len() == 2 && span.dropped_attributes_count == 1));
    let requests = receiver.requests();
    let largest = requests
        .iter()
        .map(|request| request.spans().count())
        .max()
        .unwrap();
    assert!(
        largest <= 10,
        "a request held {largest} spans with a batch size of 10"
    );
    // Out of range: refused, and the batch size stays 10.
    let agent = push(
        &server,
        "opamp-batch",
        r#"{"batch": {"size": 100000}}"#,
        "FAILED",
    );
    assert!(agent["remoteError"]
        .as_str()
        .unwrap()
        .contains("`batch.size` must be from 1 to the queue's size (2048)"));
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_message_is_followed_by_the_full_state_and_retry_after_is_honoured() {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-gap")).unwrap();
    server.wait_for(WAIT, "the agent appears", |agents| {
        agent(agents, "opamp-gap").is_some_and(|agent| agent["messages"].as_u64() >= Some(2))
    });
    server.refuse_next(1, 1);
    let refused_at = std::time::Instant::now();
    while server.refused() == 0 {
        assert!(refused_at.elapsed() < WAIT, "a poll reaches the refusal");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let refused_at = std::time::Instant::now();
    let agents = server.wait_for(WAIT, "the full state after the lost message", |agents| {
        agent(agents, "opamp-gap").is_some_and(|agent| agent["fullStates"].as_u64() >= Some(2))
    });
    // The poll interval is 100 ms; the server said to wait a second.
    assert!(
        refused_at.elapsed() >= Duration::from_millis(900),
        "{:?}",
        refused_at.elapsed()
    );
    let numbers: Vec<u64> =
        serde_json::from_value(agent(&agents, "opamp-gap").unwrap()["sequenceNums"].clone())
            .unwrap();
    assert!(
        numbers.windows(2).any(|pair| pair[1] == pair[0] + 2),
        "the lost message left a gap in {numbers:?}"
    );
    collector.shutdown().await.unwrap();
}

/// Without the `transform` feature a pushed rule cannot run: the configuration is refused,
/// naming the feature, and nothing changes.
#[cfg(not(feature = "transform"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_rule_is_failed_naming_the_feature_this_build_leaves_out() {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-no-rules")).unwrap();
    let agent = push(
        &server,
        "opamp-no-rules",
        r#"{"sampler": {"ratio": 0.5}, "transform": ["delete_key(attributes, \"user.email\")"]}"#,
        "FAILED",
    );
    assert!(agent["remoteError"]
        .as_str()
        .unwrap()
        .contains("the `transform` cargo feature"));
    assert_eq!(
        effective(&agent)["sampler"]["type"],
        "parentbased_always_on"
    );
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_response_with_retry_info_is_waited_out_and_followed_by_the_full_state() {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-busy")).unwrap();
    let before = server.wait_for(WAIT, "the agent appears", |agents| {
        agent(agents, "opamp-busy").is_some_and(|agent| agent["messages"].as_u64() >= Some(2))
    });
    let messages_before = agent(&before, "opamp-busy").unwrap()["messages"]
        .as_u64()
        .unwrap();
    server.unavailable_next(1000);
    let answered = std::time::Instant::now();
    server.wait_for(WAIT, "the error answer", |agents| {
        agent(agents, "opamp-busy")
            .is_some_and(|agent| agent["messages"].as_u64() > Some(messages_before))
    });
    let agents = server.wait_for(WAIT, "the full state after the error", |agents| {
        agent(agents, "opamp-busy").is_some_and(|agent| agent["fullStates"].as_u64() >= Some(2))
    });
    // The poll interval is 100 ms; the server's retry info said a second.
    assert!(
        answered.elapsed() >= Duration::from_millis(850),
        "{:?}",
        answered.elapsed()
    );
    assert!(agent(&agents, "opamp-busy").is_some());
    collector.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_delays_only_its_own_polls() {
    let Some(server) = server() else { return };
    let receiver = Receiver::start().await.unwrap();
    let collector = Collector::new(config(&server, &receiver, "opamp-slow")).unwrap();
    server.wait_for(WAIT, "the agent appears", |agents| {
        agent(agents, "opamp-slow").is_some()
    });
    server.stall(5_000);
    tokio::time::sleep(Duration::from_millis(3 * POLL.as_millis() as u64)).await;
    let started = std::time::Instant::now();
    for i in 0..300 {
        let _ = collector.collect(Span::new(format!("while-slow-{i}")).end());
    }
    collector.flush().await.unwrap();
    assert_eq!(spans_named(&receiver, "while-slow-", 300).await.len(), 300);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "spans waited for the server: {:?}",
        started.elapsed()
    );
    // Shutdown waits for the goodbye at most two seconds, not for the slow server.
    let shutting = std::time::Instant::now();
    collector.shutdown().await.unwrap();
    assert!(
        shutting.elapsed() < Duration::from_secs(4),
        "{:?}",
        shutting.elapsed()
    );
    server.stall(0);
}
