use super::*;
use crate::encoding::protobuf::{put_bytes, put_nested, put_optional_varint};

fn server_to_agent(flags: u64, config: Option<(&[u8], &str, &[u8])>) -> Vec<u8> {
    let mut out = Vec::new();
    put_bytes(1, &[7; 16], &mut out);
    if let Some((body, content_type, hash)) = config {
        put_nested(3, 2, &mut out, |out| {
            put_nested(1, 2, out, |out| {
                put_nested(1, 2, out, |out| {
                    put_bytes(1, b"", out);
                    put_nested(2, 2, out, |out| {
                        put_bytes(1, body, out);
                        put_bytes(2, content_type.as_bytes(), out);
                    });
                });
            });
            put_bytes(2, hash, out);
        });
    }
    put_optional_varint(6, flags, &mut out);
    out
}

fn client() -> OpampClient {
    OpampClient::new(
        [1; 16],
        vec![KeyValue::new("service.name", "checkout")],
        vec![],
    )
}

fn mentions(message: &[u8], text: &[u8]) -> bool {
    message.windows(text.len()).any(|window| window == text)
}

#[test]
fn the_first_message_carries_the_whole_state_and_later_ones_only_news() {
    let mut client = client();
    client.set_effective_config("{}".into());
    let first = client.next_message(false);
    assert!(mentions(&first, b"checkout"), "the description");
    assert!(!client.has_news());
    let heartbeat = client.next_message(false);
    assert!(heartbeat.len() < first.len() && !mentions(&heartbeat, b"checkout"));
    client.set_effective_config("{}".into());
    assert!(!client.has_news(), "the same configuration is no news");
    client.send_failed();
    assert!(mentions(&client.next_message(false), b"checkout"));
}

#[test]
fn the_server_can_ask_for_the_full_state() {
    let mut client = client();
    client.next_message(false);
    let answer = client.receive(&server_to_agent(REPORT_FULL_STATE, None));
    assert!(answer.send_soon && client.has_news());
}

#[test]
fn a_remote_configuration_is_handed_over_once_and_its_outcome_reported() {
    let mut client = client();
    client.next_message(false);
    let body = br#"{"sampler": {"ratio": 0.5}}"#;
    let answer = client.receive(&server_to_agent(0, Some((body, "application/json", b"h1"))));
    let (hash, settings) = answer.remote_config.expect("handed over");
    assert_eq!(hash, b"h1");
    assert!(settings.is_ok());
    client.remote_config_settled(hash, Ok(()));
    assert!(client.has_news());
    client.next_message(false);
    let again = client.receive(&server_to_agent(0, Some((body, "application/json", b"h1"))));
    assert!(
        again.remote_config.is_none(),
        "the same hash is not applied twice"
    );
    let yaml = client.receive(&server_to_agent(0, Some((b"a: 1", "text/yaml", b"h2"))));
    let (_, refused) = yaml.remote_config.unwrap();
    assert!(refused.unwrap_err().contains("only application/json"));
}

#[test]
fn garbage_from_the_server_is_an_error_and_asks_for_a_full_state_next() {
    let mut client = client();
    client.next_message(false);
    let answer = client.receive(&[0xff, 0xff, 0xff]);
    assert!(answer.error.is_some());
    assert!(client.has_news());
}
