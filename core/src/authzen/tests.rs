//! The AuthZEN translation against the certification scenario's fixture (its
//! users, records and rules written as a Tessera policy), decided in process.

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use serde_json::{Value, json};

use super::*;
use crate::authz::{Authorizer, CheckRequest, SearchRequest};
use crate::policy::PolicyDocument;

fn authz() -> Authorizer {
    let policy = json!({
        "tenant": "0b5e7f2a-8c1d-4e3f-9a6b-2c4d6e8f0a1b",
        "roles": { "member": {} },
        "members": { "alice": ["member"], "bob": ["member"] },
        "types": { "record": { "actions": ["read", "write", "delete"] } },
        "resources": {
            "record:record-1": { "attributes": { "status": "active" } },
            "record:record-2": { "attributes": { "status": "archived" } }
        },
        "users": { "alice": {}, "bob": { "attributes": { "role": "admin" } } },
        "rules": [
            { "id": "members-read", "effect": "permit", "actions": ["record:read"], "roles": ["member"],
              "when": "resource.status in [\"active\", \"archived\"]" },
            { "id": "alice-writes-active", "effect": "permit", "actions": ["record:write"],
              "when": "subject.id == \"alice\" && resource.status != \"archived\"" },
            { "id": "admins-write-archived", "effect": "permit", "actions": ["record:write"],
              "when": "subject.role == \"admin\" && resource.status == \"archived\"" },
            { "id": "soft-deletes", "effect": "permit", "actions": ["record:delete"], "roles": ["member"],
              "when": "action.soft == true" }
        ]
    });
    let document = PolicyDocument::from_json(&policy.to_string()).expect("the fixture reads");
    Authorizer::new(document.into_policy().expect("the fixture is valid"))
}

fn decide(authz: &Authorizer) -> impl FnMut(&CheckRequest) -> Result<Value, ErrorReport> + '_ {
    |check| authz.evaluate(&check.query()).map(|d| json!(d)).map_err(ErrorReport::from)
}

fn evaluate(authz: &Authorizer, request: Value) -> Value {
    evaluation(&request.to_string()).expect("read").answer(decide(authz)).expect("answered")
}

fn request(subject: Value, action: Value, resource: Value) -> Value {
    json!({ "subject": subject, "action": action, "resource": resource })
}

fn user(id: &str) -> Value {
    json!({ "type": "user", "id": id })
}

fn record(id: &str) -> Value {
    json!({ "type": "record", "id": id })
}

#[test]
fn the_scenarios_decisions_with_their_reasons() {
    let authz = authz();
    let archived = json!({ "type": "record", "id": "record-2", "properties": { "status": "archived" } });
    let admin = json!({ "type": "user", "id": "bob", "properties": { "role": "admin" } });
    let cases = [
        (request(user("alice"), json!({"name": "read"}), record("record-1")), true),
        (request(user("alice"), json!({"name": "write"}), record("record-1")), true),
        (request(user("bob"), json!({"name": "read"}), record("record-1")), true),
        (request(user("bob"), json!({"name": "write"}), record("record-1")), false),
        (request(user("alice"), json!({"name": "write"}), archived.clone()), false),
        (request(admin, json!({"name": "write"}), archived), true),
        (
            request(
                user("alice"),
                json!({"name": "delete", "properties": {"soft": true}}),
                record("record-1"),
            ),
            true,
        ),
        (
            request(
                user("alice"),
                json!({"name": "delete", "properties": {"soft": false}}),
                record("record-1"),
            ),
            false,
        ),
    ];
    for (i, (request, decision)) in cases.into_iter().enumerate() {
        let answer = evaluate(&authz, request);
        assert_eq!(answer["decision"], decision, "rule {}: {answer}", i + 1);
        assert!(answer["context"]["reason"].is_string(), "{answer}");
    }
    let granted = evaluate(&authz, request(user("alice"), json!({"name": "read"}), record("record-1")));
    assert_eq!(
        granted,
        json!({ "decision": true, "context": { "reason": "permitted", "rule": "members-read" } })
    );
}

#[test]
fn stored_facts_win_and_unknown_fields_and_untyped_properties_are_ignored() {
    let authz = authz();
    // The request calls record-2 active: its stored status wins.
    let claimed = json!({ "type": "record", "id": "record-2", "properties": { "status": "active" } });
    assert_eq!(
        evaluate(&authz, request(user("alice"), json!({"name": "write"}), claimed))["decision"],
        false
    );
    let mut extra = request(
        json!({ "type": "user", "id": "alice", "properties": { "department": "Sales", "nested": {"a": 1}, "ratio": 0.5 } }),
        json!({ "name": "read", "properties": { "method": "GET" } }),
        json!({ "type": "record", "id": "record-1", "properties": { "owner": "bob" }, "future": 1 }),
    );
    extra["foo"] = json!("bar");
    extra["context"] = json!({ "time": "2024-10-26T01:22-07:00", "ip": "10.0.0.1", "tags": [1, 2] });
    assert_eq!(evaluate(&authz, extra)["decision"], true);
}

#[test]
fn a_subject_that_is_no_user_is_denied_without_a_check() {
    let authz = authz();
    let answer = evaluate(
        &authz,
        request(json!({"type": "service", "id": "alice"}), json!({"name": "read"}), record("record-1")),
    );
    assert_eq!(answer, json!({ "decision": false, "context": { "reason": "unknown_user" } }));
}

#[test]
fn refuses_what_it_cannot_read_naming_the_field() {
    let full = request(user("alice"), json!({"name": "read"}), record("record-1"));
    let without = |field: &str| {
        let mut r = full.clone();
        r.as_object_mut().map(|o| o.remove(field));
        r.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        (without("subject"), "`subject` is missing"),
        (without("action"), "`action` is missing"),
        (without("resource"), "`resource` is missing"),
        (
            request(json!({"id": "alice"}), json!({"name": "read"}), record("record-1")).to_string(),
            "`subject.type` is missing",
        ),
        (
            request(json!({"type": "user"}), json!({"name": "read"}), record("record-1")).to_string(),
            "`subject.id` is missing",
        ),
        (request(user("alice"), json!({}), record("record-1")).to_string(), "`action.name` is missing"),
        (
            request(user("alice"), json!({"name": "read"}), json!({"id": "record-1"})).to_string(),
            "`resource.type` is missing",
        ),
        (
            request(user("alice"), json!({"name": "read"}), json!({"type": "record"})).to_string(),
            "`resource.id` is missing",
        ),
        (
            request(json!("alice"), json!({"name": "read"}), record("record-1")).to_string(),
            "`subject` must be an object",
        ),
        (
            request(user("alice"), json!({"name": 123}), record("record-1")).to_string(),
            "`action.name` must be a string",
        ),
        (
            request(user("alice"), json!({"name": "read", "properties": [1]}), record("record-1"))
                .to_string(),
            "`action.properties` must be an object",
        ),
        ("{\"subject\": ".into(), "not valid JSON"),
        ("".into(), "empty"),
        ("  \n".into(), "empty"),
        ("[1]".into(), "must be a JSON object"),
    ];
    for (text, expected) in cases {
        let error = evaluation(&text).expect_err(&text);
        assert!(error.code.starts_with("ERR_INVALID_"), "{text}");
        assert!(error.message.contains(expected), "{text}: {}", error.message);
    }
}

fn batch(authz: &Authorizer, request: Value) -> Value {
    Evaluations::from_json(&request.to_string()).expect("read").answer(decide(authz)).expect("answered")
}

fn decisions(answer: &Value) -> Vec<Value> {
    answer["evaluations"].as_array().expect("evaluations").iter().map(|a| a["decision"].clone()).collect()
}

#[test]
fn batches_merge_defaults_whole_and_keep_order() {
    let authz = authz();
    let answer = batch(
        &authz,
        json!({
            "subject": user("bob"), "resource": record("record-1"),
            "evaluations": [{ "action": {"name": "read"} }, { "action": {"name": "write"} }]
        }),
    );
    assert_eq!(decisions(&answer), [true, false]);
    // An evaluation's own field replaces the default whole: its resource here has
    // no properties, however many the default had.
    let answer = batch(
        &authz,
        json!({
            "subject": user("alice"), "action": {"name": "write"},
            "resource": { "type": "record", "id": "record-1", "properties": { "status": "active" } },
            "evaluations": [{}, { "resource": { "type": "record", "id": "record-2" } }]
        }),
    );
    assert_eq!(decisions(&answer), [true, false]);
    // A top-level `decision` is no default of anything.
    let answer = batch(
        &authz,
        json!({
            "decision": true,
            "evaluations": [
                request(user("alice"), json!({"name": "read"}), record("record-1")),
                request(user("bob"), json!({"name": "write"}), record("record-1")),
            ]
        }),
    );
    assert_eq!(decisions(&answer), [true, false]);
    assert!(answer.get("decision").is_none());
}

#[test]
fn without_evaluations_a_batch_is_one_evaluation() {
    let authz = authz();
    let one = request(user("alice"), json!({"name": "read"}), record("record-1"));
    assert_eq!(batch(&authz, one.clone())["decision"], true);
    let mut empty = one;
    empty["evaluations"] = json!([]);
    assert_eq!(batch(&authz, empty)["decision"], true);
    let error =
        Evaluations::from_json(&json!({"evaluations": []}).to_string()).expect_err("nothing to evaluate");
    assert!(error.message.contains("`subject` is missing"), "{}", error.message);
}

#[test]
fn a_defective_evaluation_is_its_own_failure_and_the_semantics_stop_where_they_say() {
    let authz = authz();
    let items = json!([
        { "resource": record("record-1") },
        {},
        { "resource": record("record-2"), "action": {"name": "write"} },
        { "resource": record("record-1") },
    ]);
    let with = |semantic: &str| {
        batch(
            &authz,
            json!({
                "subject": user("alice"), "action": {"name": "read"},
                "evaluations": items, "options": { "evaluations_semantic": semantic }
            }),
        )
    };
    let all = with("execute_all");
    assert_eq!(decisions(&all), [true, false, false, true]);
    let failure = &all["evaluations"][1]["context"]["error"];
    assert_eq!(failure["status"], 400);
    assert_eq!(failure["code"], "ERR_INVALID_ARGUMENT");
    assert!(
        failure["message"]
            .as_str()
            .is_some_and(|m| m.contains("evaluations[1]") && m.contains("`resource` is missing")),
        "{failure}"
    );
    assert_eq!(decisions(&with("deny_on_first_deny")), [true, false]);
    assert_eq!(decisions(&with("permit_on_first_permit")), [true]);
    // An identifier the core refuses fails that evaluation alone.
    let answer = batch(
        &authz,
        json!({
            "subject": user("alice"), "action": {"name": "read"},
            "evaluations": [{ "resource": { "type": "record", "id": "bad\nid" } }, { "resource": record("record-1") }]
        }),
    );
    assert_eq!(decisions(&answer), [false, true]);
    assert_eq!(answer["evaluations"][0]["context"]["error"]["code"], "ERR_INVALID_IDENTIFIER");
    for (options, expected) in [
        (json!({"evaluations_semantic": "first_wins"}), "`first_wins`"),
        (json!({"evaluations_semantic": 1}), "must be a string"),
        (json!("fast"), "`options` must be an object"),
    ] {
        let request = json!({ "evaluations": items, "options": options });
        let error = Evaluations::from_json(&request.to_string()).expect_err("refused");
        assert!(error.message.contains(expected), "{}", error.message);
    }
    // A malformed default is the batch's defect, even if no evaluation uses it.
    let request = json!({ "action": {"name": "a*b"}, "evaluations": [request(user("alice"), json!({"name": "read"}), record("record-1"))] });
    let error = Evaluations::from_json(&request.to_string()).expect_err("a malformed default");
    assert!(error.message.contains("`action.name`"), "{}", error.message);
    let many = json!({ "subject": user("alice"), "action": {"name": "read"},
                       "evaluations": vec![json!({ "resource": record("record-1") }); MAX_EVALUATIONS + 1] });
    let error = Evaluations::from_json(&many.to_string()).expect_err("too many");
    assert!(error.message.contains("at most 1000"), "{}", error.message);
    let error = Evaluations::from_json(r#"{"evaluations": {}}"#).expect_err("not an array");
    assert!(error.message.contains("must be an array"));
}

fn find(authz: &Authorizer, kind: SearchKind, request: Value) -> Value {
    search(kind, &request.to_string())
        .expect("read")
        .answer(|search| authz.search(search).map(|found| json!(found)).map_err(ErrorReport::from))
        .expect("answered")
}

#[test]
fn the_scenarios_searches() {
    let authz = authz();
    let archived = json!({ "type": "record", "id": "record-2", "properties": { "status": "archived" } });
    let admin = json!({ "type": "user", "id": "bob", "properties": { "role": "admin" } });
    let s1 =
        json!({ "subject": {"type": "user"}, "action": {"name": "read"}, "resource": record("record-1") });
    assert_eq!(find(&authz, SearchKind::Subject, s1.clone())["results"], json!([user("alice"), user("bob")]));
    // A subject id in a subject search is ignored.
    let mut with_id = s1.clone();
    with_id["subject"]["id"] = json!("alice");
    assert_eq!(find(&authz, SearchKind::Subject, with_id)["results"], json!([user("alice"), user("bob")]));
    let s2 = json!({ "subject": user("alice"), "action": {"name": "read"}, "resource": {"type": "record", "id": "ignored"} });
    assert_eq!(
        find(&authz, SearchKind::Resource, s2)["results"],
        json!([record("record-1"), record("record-2")])
    );
    let s3 = json!({ "subject": user("alice"), "resource": record("record-1"), "context": {"time": "now"} });
    assert_eq!(find(&authz, SearchKind::Action, s3)["results"], json!([{"name": "read"}, {"name": "write"}]));
    let s4 =
        json!({ "subject": {"type": "user"}, "action": {"name": "write"}, "resource": archived.clone() });
    assert_eq!(find(&authz, SearchKind::Subject, s4)["results"], json!([user("bob")]));
    let s5 = json!({ "subject": admin.clone(), "action": {"name": "write"}, "resource": {"type": "record"} });
    assert_eq!(find(&authz, SearchKind::Resource, s5)["results"], json!([record("record-2")]));
    let s6 = json!({ "subject": admin, "resource": archived });
    let actions = find(&authz, SearchKind::Action, s6);
    assert!(
        actions["results"].as_array().is_some_and(|a| a.contains(&json!({"name": "write"}))),
        "{actions}"
    );
    assert_eq!(actions["page"], json!({ "next_token": "" }));
}

#[test]
fn searches_page_with_tokens_they_issued() {
    let authz = authz();
    let mut s1 = json!({ "subject": {"type": "user"}, "action": {"name": "read"}, "resource": record("record-1"), "page": {"limit": 1} });
    // 1.0 is the integer 1 (JSON does not tell them apart).
    s1["page"]["limit"] = json!(1.0);
    let first = find(&authz, SearchKind::Subject, s1.clone());
    assert_eq!(first["results"], json!([user("alice")]));
    let token = first["page"]["next_token"].as_str().expect("a token").to_string();
    assert!(!token.is_empty());
    s1["page"]["token"] = json!(token);
    let second = find(&authz, SearchKind::Subject, s1.clone());
    assert_eq!(second["results"], json!([user("bob")]));
    assert_eq!(second["page"]["next_token"], "", "the last page");
    for (page, expected) in [
        (json!({"token": "not base64!"}), "not a token this PDP issued"),
        (json!({"limit": -1}), "an integer from 0"),
        (json!({"limit": 4_294_967_296_u64}), "an integer from 0"),
        (json!({"limit": 2.5}), "an integer from 0"),
        (json!({"limit": "5"}), "an integer from 0"),
        (json!([]), "`page` must be an object"),
    ] {
        s1["page"] = page;
        let error = search(SearchKind::Subject, &s1.to_string()).expect_err("refused");
        assert!(error.message.contains(expected), "{}", error.message);
    }
}

#[test]
fn searches_find_nothing_for_what_does_not_exist_and_refuse_what_is_missing() {
    let authz = authz();
    let nobody = json!({ "subject": user("nonexistent-user"), "action": {"name": "write"}, "resource": {"type": "record"} });
    assert_eq!(find(&authz, SearchKind::Resource, nobody)["results"], json!([]));
    let spaceship =
        json!({ "subject": user("alice"), "action": {"name": "read"}, "resource": {"type": "spaceship"} });
    assert_eq!(find(&authz, SearchKind::Resource, spaceship)["results"], json!([]));
    let stranger = json!({ "subject": user("nonexistent-user"), "resource": record("record-1") });
    assert_eq!(find(&authz, SearchKind::Action, stranger)["results"], json!([]));
    let unknown = json!({ "subject": {"type": "user"}, "action": {"name": "read"}, "resource": record("nonexistent-record") });
    assert_eq!(find(&authz, SearchKind::Subject, unknown)["results"], json!([]));
    let robots =
        json!({ "subject": {"type": "robot"}, "action": {"name": "read"}, "resource": record("record-1") });
    assert_eq!(find(&authz, SearchKind::Subject, robots)["results"], json!([]));
    for (kind, request, expected) in [
        (
            SearchKind::Subject,
            json!({ "subject": {"type": "user"}, "resource": record("record-1") }),
            "`action` is missing",
        ),
        (
            SearchKind::Resource,
            json!({ "action": {"name": "read"}, "resource": {"type": "record"} }),
            "`subject` is missing",
        ),
        (SearchKind::Action, json!({ "subject": user("alice") }), "`resource` is missing"),
        (
            SearchKind::Subject,
            json!({ "subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record"} }),
            "`resource.id` is missing",
        ),
        (
            SearchKind::Resource,
            json!({ "subject": {"type": "user"}, "action": {"name": "read"}, "resource": {"type": "record"} }),
            "`subject.id` is missing",
        ),
        (
            SearchKind::Action,
            json!({ "subject": {"type": "user"}, "resource": record("record-1") }),
            "`subject.id` is missing",
        ),
    ] {
        let error = search(kind, &request.to_string()).expect_err("refused");
        assert!(error.message.contains(expected), "{kind:?}: {}", error.message);
    }
}

#[test]
fn requests_reach_a_guest_as_the_core_reads_them() {
    let Target::Check(check) = evaluation(
        &json!({ "subject": {"type": "user", "id": "alice", "properties": {"level": 3}}, "action": {"name": "read"},
                 "resource": record("record-1"), "context": {"ip": "10.0.0.1"} })
        .to_string(),
    )
    .expect("read") else {
        panic!("a check");
    };
    assert_eq!(CheckRequest::from_json(&check.to_json()).expect("round trip"), check);
    let request = json!({ "subject": user("alice"), "resource": record("record-1"), "page": {"token": "cjE", "limit": 2} });
    let found = search(SearchKind::Action, &request.to_string()).expect("read");
    let core = found.request().expect("a search");
    assert_eq!(&SearchRequest::from_json(&core.to_json()).expect("round trip"), core);
}

#[test]
fn configuration_names_every_endpoint_absolutely() {
    let metadata = configuration("https://pdp.example.com");
    assert_eq!(metadata["policy_decision_point"], "https://pdp.example.com");
    assert_eq!(metadata["access_evaluation_endpoint"], "https://pdp.example.com/access/v1/evaluation");
    assert_eq!(metadata["search_action_endpoint"], "https://pdp.example.com/access/v1/search/action");
    assert_eq!(metadata.as_object().map(|m| m.len()), Some(6));
}
