use serde_json::{Value, json};

use super::*;

/// Writes the fields into the input buffer as the wrapper does, returning their lengths.
fn put_inputs<const N: usize>(fields: [&str; N]) -> [u32; N] {
    let total: usize = fields.iter().map(|f| f.len()).sum();
    assert!(buffer(u32::try_from(total).unwrap_or(u32::MAX)).is_some());
    INPUT.with_borrow_mut(|buffer| {
        let mut at = 0;
        for field in fields {
            buffer[at..at + field.len()].copy_from_slice(field.as_bytes());
            at += field.len();
        }
    });
    fields.map(|f| u32::try_from(f.len()).unwrap_or(u32::MAX))
}

/// Replies as the wrapper does: into the reply buffer.
fn say(said: Said, reply_json: &Value) -> Said {
    let bytes = reply_json.to_string().into_bytes();
    assert!(reply(u32::try_from(bytes.len()).unwrap_or(u32::MAX)).is_some());
    REPLY.with_borrow_mut(|buffer| {
        assert_eq!(buffer.len(), bytes.len(), "the reply buffer is as long as the reply");
        buffer.copy_from_slice(&bytes);
    });
    said
}

fn output_json() -> Value {
    OUTPUT.with_borrow(|output| serde_json::from_slice(output).unwrap_or(Value::Null))
}

/// Sends `body` to `path`, answering each question with `ask`; the status, the
/// output, and the questions asked.
fn send(path: &str, body: &Value, mut ask: impl FnMut(Question, &Value) -> Said) -> (u32, Value, Vec<Value>) {
    let body = body.to_string();
    let [path_len, body_len] = put_inputs([path, &body]);
    let mut asked = Vec::new();
    let status = answer(path_len, body_len, |question, request| {
        let request: Value = serde_json::from_str(request).unwrap_or(Value::Null);
        asked.push(request.clone());
        ask(question, &request)
    });
    (status, output_json(), asked)
}

fn evaluation(subject: &str) -> Value {
    json!({"subject": {"type": "user", "id": subject}, "action": {"name": "read"},
           "resource": {"type": "doc", "id": "1", "properties": {"owner": "alice"}}})
}

#[test]
fn an_evaluation_asks_the_caller_and_answers_with_its_decision() {
    let (status, answer, asked) = send("/access/v1/evaluation", &evaluation("alice"), |question, request| {
        assert_eq!(question, Question::Evaluate);
        let allowed = request["subject"] == "alice";
        say(
            Said::Answer,
            &json!({"allowed": allowed, "reason": "granted", "role": "viewer", "pattern": "doc:read", "on": "doc:1"}),
        )
    });
    assert_eq!(status, status::OK);
    assert_eq!(
        answer,
        json!({"decision": true, "context": {"reason": "granted", "role": "viewer", "pattern": "doc:read", "on": "doc:1"}})
    );
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["resource"], json!({"type": "doc", "id": "1"}));
    assert_eq!(asked[0]["attributes"]["resource"]["owner"], "alice");
}

#[test]
fn a_refused_question_fails_its_evaluation_and_the_batch_goes_on() {
    let batch = json!({"evaluations": [evaluation("alice"), evaluation("bob")]});
    let (status, answer, asked) = send("/access/v1/evaluations", &batch, |_, request| {
        if request["subject"] == "alice" {
            say(Said::Failed, &json!({"code": "ERR_INVALID_IDENTIFIER", "message": "no good"}))
        } else {
            say(Said::Answer, &json!({"allowed": true, "reason": "granted"}))
        }
    });
    assert_eq!((status, asked.len()), (status::OK, 2));
    assert_eq!(answer["evaluations"][0]["decision"], false);
    assert_eq!(answer["evaluations"][0]["context"]["error"]["code"], "ERR_INVALID_IDENTIFIER");
    assert_eq!(answer["evaluations"][0]["context"]["error"]["status"], 400);
    assert_eq!(answer["evaluations"][1], json!({"decision": true, "context": {"reason": "granted"}}));
}

#[test]
fn a_failing_engine_fails_the_whole_request_and_is_asked_nothing_more() {
    let batch = json!({"evaluations": [evaluation("alice"), evaluation("bob")]});
    let fault = json!({"code": "ERR_ENGINE_DOWN", "message": "/secret/path/engine.wasm: no such file"});
    let (status, answer, asked) = send("/access/v1/evaluations", &batch, |_, _| say(Said::Failed, &fault));
    assert_eq!((status, asked.len()), (status::FAULT, 1));
    assert_eq!(
        answer,
        json!({"code": "ERR_INTERNAL", "message": "an internal error occurred"}),
        "no detail leaks"
    );
    // An engine that cannot decide now says why: no snapshot in force, or an expired one.
    for code in ["ERR_NOT_LOADED", "ERR_SNAPSHOT_EXPIRED"] {
        let fault = json!({"code": code, "message": "try later"});
        let (status, answer, asked) =
            send("/access/v1/evaluations", &batch, |_, _| say(Said::Failed, &fault));
        assert_eq!((status, answer, asked.len()), (status::UNAVAILABLE, fault, 1));
    }
    // An answer that is not JSON is the engine's fault too.
    let (status, answer, _) = send("/access/v1/evaluation", &evaluation("alice"), |_, _| {
        REPLY.with_borrow_mut(|reply| *reply = b"{not json".to_vec());
        Said::Answer
    });
    assert_eq!((status, answer["code"].as_str()), (status::FAULT, Some("ERR_INTERNAL")));
}

#[test]
fn a_malformed_request_is_refused_without_a_question_and_an_unknown_path_is_not_found() {
    let (status, answer, asked) =
        send("/access/v1/evaluation", &json!({"subject": {"type": "user"}}), |_, _| unreachable!());
    assert_eq!((status, asked.len()), (status::BAD_REQUEST, 0));
    assert_eq!(answer["code"], "ERR_INVALID_ARGUMENT");
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("subject.id")), "{answer}");
    let (status, _, asked) = send("/access/v1/nothing", &evaluation("alice"), |_, _| unreachable!());
    assert_eq!((status, asked.len()), (status::NOT_FOUND, 0));
    let [path_len, body_len] = put_inputs(["/access/v1/evaluation", "{"]);
    INPUT.with_borrow_mut(|input| input[path_len as usize] = 0xff);
    assert_eq!(super::answer(path_len, body_len, |_, _| unreachable!()), status::BAD_REQUEST);
    assert_eq!(super::answer(path_len, body_len + 1000, |_, _| unreachable!()), status::BAD_REQUEST);
}

#[test]
fn a_shorter_reply_after_a_longer_one_is_read_whole_and_alone() {
    let long =
        json!({"allowed": true, "reason": "granted", "role": "a-rather-long-role-name", "pattern": "doc:*"});
    let (status, _, _) = send("/access/v1/evaluation", &evaluation("alice"), |_, _| say(Said::Answer, &long));
    assert_eq!(status, status::OK);
    let (status, answer, _) = send("/access/v1/evaluation", &evaluation("alice"), |_, _| {
        say(Said::Answer, &json!({"allowed": false, "reason": "no_matching_grant"}))
    });
    assert_eq!(
        (status, answer),
        (status::OK, json!({"decision": false, "context": {"reason": "no_matching_grant"}}))
    );
}

#[test]
fn a_search_asks_the_core_search_and_answers_with_results_and_a_page_token() {
    let request = json!({"subject": {"type": "user", "id": "alice"}, "action": {"name": "read"}, "resource": {"type": "doc"}});
    let (status, answer, asked) = send("/access/v1/search/resource", &request, |question, request| {
        assert_eq!(question, Question::Search);
        assert_eq!(request["search"], "resources");
        say(Said::Answer, &json!({"items": ["1", "2"], "next": "2"}))
    });
    assert_eq!((status, asked.len()), (status::OK, 1));
    assert_eq!(answer["results"], json!([{"type": "doc", "id": "1"}, {"type": "doc", "id": "2"}]));
    assert_eq!(answer["page"]["next_token"], "Mg");
}

#[test]
fn the_discovery_document_names_every_endpoint_under_the_base() {
    let [base] = put_inputs(["https://pdp.example"]);
    assert_eq!(configuration(base), status::OK);
    let document = output_json();
    assert_eq!(document["policy_decision_point"], "https://pdp.example");
    for endpoint in Endpoint::ALL {
        let url = format!("https://pdp.example{}", endpoint.path());
        assert!(document.as_object().is_some_and(|d| d.values().any(|v| *v == url.as_str())), "{url}");
    }
}

#[test]
fn routes_are_the_endpoints_and_the_discovery_document() {
    for endpoint in Endpoint::ALL {
        let [path] = put_inputs([endpoint.path()]);
        assert_eq!(route(path), routes::POST, "{}", endpoint.path());
    }
    let [path] = put_inputs(["/.well-known/authzen-configuration"]);
    assert_eq!(route(path), routes::GET);
    for other in ["/", "/access/v1", "/access/v1/evaluation/", "/api/check"] {
        let [path] = put_inputs([other]);
        assert_eq!(route(path), routes::NONE, "{other}");
    }
}
