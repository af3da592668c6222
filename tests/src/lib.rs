//! The shared conformance vectors and a harness that runs them through any face of
//! Tessera (native core, wasmtime guest, CLI, ...). A face implements [`Face`];
//! [`run_all`] feeds it every vector under `tests/vectors/` and reports each
//! disagreement. The vector format is documented in `tests/vectors/README.md`.

#![expect(clippy::expect_used, reason = "a test harness: a missing vector folder must stop the run loudly")]

pub mod synthetic;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// One query against a loaded policy. Field names match the vector files.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Query {
    /// `check(user, permission)` → `{allowed, reason, role?, pattern?}`.
    Check {
        /// User id.
        user: String,
        /// Permission.
        permission: String,
    },
    /// Batch check → `[allowed, ...]`.
    CheckMany {
        /// User id.
        user: String,
        /// Permissions, answered in order.
        permissions: Vec<String>,
    },
    /// `has_role(user, role)` → bool.
    HasRole {
        /// User id.
        user: String,
        /// Role.
        role: String,
    },
    /// Direct roles → sorted list.
    UserRoles {
        /// User id.
        user: String,
    },
    /// Effective grant patterns → sorted list.
    UserPermissions {
        /// User id.
        user: String,
    },
    /// Effective grant patterns of a role → sorted list.
    RolePermissions {
        /// Role.
        role: String,
    },
    /// Direct members → sorted list.
    RoleMembers {
        /// Role.
        role: String,
    },
    /// Roles whose closure allows the permission → sorted list.
    WhichRolesCan {
        /// Permission.
        permission: String,
    },
    /// Users allowed the permission → sorted list.
    WhichUsersCan {
        /// Permission.
        permission: String,
    },
    /// Every role → sorted list.
    Roles,
    /// A check on a resource (or tenant-wide without one) →
    /// `{allowed, reason, role?, pattern?, on?, rule?}`.
    Evaluate {
        /// User id.
        subject: String,
        /// Action (or, without a resource, permission).
        action: String,
        /// `{type, id}`.
        #[serde(default)]
        resource: Option<Value>,
        /// `{subject?, resource?, action?, context?}` request attributes.
        #[serde(default)]
        attributes: Option<Value>,
    },
    /// One of the searches (`actions`, `resources`, `subjects`) → `{items, next?}`.
    Search {
        /// Which search.
        search: String,
        /// User id (`actions`, `resources`).
        #[serde(default)]
        subject: Option<String>,
        /// Action (`resources`, `subjects`).
        #[serde(default)]
        action: Option<String>,
        /// `{type, id}` (`actions`, `subjects`).
        #[serde(default)]
        resource: Option<Value>,
        /// Resource type (`resources`).
        #[serde(default, rename = "type")]
        kind: Option<String>,
        /// Request attributes.
        #[serde(default)]
        attributes: Option<Value>,
        /// `{after?, limit?}`.
        #[serde(default)]
        page: Option<Value>,
    },
}

impl Query {
    /// The request JSON of an `evaluate` or `search` (the shape every face reads,
    /// `tessera_core::CheckRequest` and `SearchRequest`); `None` for other ops.
    pub fn request_json(&self) -> Option<Value> {
        let mut out = serde_json::Map::new();
        let mut put = |name: &str, value: Option<Value>| {
            if let Some(value) = value {
                out.insert(name.to_string(), value);
            }
        };
        match self {
            Self::Evaluate { subject, action, resource, attributes } => {
                put("subject", Some(subject.clone().into()));
                put("action", Some(action.clone().into()));
                put("resource", resource.clone());
                put("attributes", attributes.clone());
            }
            Self::Search { search, subject, action, resource, kind, attributes, page } => {
                put("search", Some(search.clone().into()));
                put("subject", subject.clone().map(Value::from));
                put("action", action.clone().map(Value::from));
                put("resource", resource.clone());
                put("type", kind.clone().map(Value::from));
                put("attributes", attributes.clone());
                put("page", page.clone());
            }
            _ => return None,
        }
        Some(Value::Object(out))
    }
}

/// What a case expects: an answer, or a refusal with an error code.
struct Expected<'a> {
    expect: &'a Option<Value>,
    expect_error: &'a Option<String>,
}

impl Expected<'_> {
    /// Whether `got` meets the expectation; `same` compares an expected answer with
    /// the one given.
    fn met_by(&self, got: &Result<Value, Refusal>, same: impl Fn(&Value, &Value) -> bool) -> bool {
        match (self.expect, self.expect_error, got) {
            (Some(expected), None, Ok(value)) => same(expected, value),
            (None, Some(code), Err(refusal)) => *code == refusal.code,
            _ => false,
        }
    }

    fn describe(&self) -> String {
        match (self.expect, self.expect_error) {
            (Some(value), _) => value.to_string(),
            (None, Some(code)) => format!("error {code}"),
            (None, None) => "a vector with `expect` or `expect_error`".into(),
        }
    }
}

/// A query with its expected answer or error code.
#[derive(Clone, Debug, Deserialize)]
pub struct Case {
    /// The query.
    #[serde(flatten)]
    pub query: Query,
    /// Expected answer (JSON), when the query must succeed.
    #[serde(default)]
    pub expect: Option<Value>,
    /// Expected error code, when the query must fail.
    #[serde(default)]
    pub expect_error: Option<String>,
}

impl Case {
    fn expected(&self) -> Expected<'_> {
        Expected { expect: &self.expect, expect_error: &self.expect_error }
    }
}

/// A policy and the queries to run against it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyVector {
    /// Short name.
    pub name: String,
    /// What it pins down.
    pub description: String,
    /// The policy document.
    pub policy: Value,
    /// Queries and answers.
    pub cases: Vec<Case>,
}

/// A policy document that must be refused with `expect_error`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyErrorVector {
    /// Short name.
    pub name: String,
    /// The document as JSON text (text, so duplicate keys survive).
    pub policy_text: String,
    /// Expected error code.
    pub expect_error: String,
}

/// An identifier and whether its rule accepts it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentifierVector {
    /// `role`, `user`, `permission`, `pattern` or `client_key`.
    pub kind: String,
    /// The value.
    pub value: String,
    /// Whether it is valid.
    pub valid: bool,
    /// For invalid ones: `empty`, `too_long`, `forbidden_char`, `misplaced_wildcard`, `not_uuid4`.
    #[serde(default)]
    pub violation: Option<String>,
    /// Why this case is here.
    #[serde(default)]
    pub note: Option<String>,
}

/// A refusal: the stable error code, and for identifiers the violated part of the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `ERR_...`.
    pub code: String,
    /// Identifier violation (`too_long`, ...), if any.
    pub violation: Option<String>,
}

/// One face of Tessera, as the vectors see it.
pub trait Face {
    /// Compiles a policy document given as JSON text, replacing any loaded one.
    fn load(&mut self, policy_json: &str) -> Result<(), Refusal>;
    /// Answers a query against the loaded policy, as JSON.
    fn query(&mut self, query: &Query) -> Result<Value, Refusal>;
    /// Checks an identifier against the rule of `kind`.
    fn validate_identifier(&mut self, kind: &str, value: &str) -> Result<(), Refusal>;
    /// Validates `token` with the keys of a JWKS and validation options (snake_case
    /// JSON, see `tokens.json`) at `now`; returns the claims.
    fn verify_token(&mut self, jwks: &str, options: &Value, token: &str, now: i64) -> Result<Value, Refusal>;
    /// `escape` (`mode` = "escape") or `strip` (`mode` = "strip") with default options.
    fn sanitize(&mut self, mode: &str, text: &str) -> String;
    /// Detector findings: `[{kind, offset}]`.
    fn inspect(&mut self, text: &str) -> Value;
    /// `authorize(token, permission)` against the loaded policy:
    /// `{allowed, reason, subject?, role?, pattern?}`.
    fn authorize(
        &mut self,
        jwks: &str,
        options: &Value,
        token: &str,
        permission: &str,
        now: i64,
    ) -> Result<Value, Refusal>;
}

/// The token vectors (`jwt/tokens.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenVectors {
    /// What the file covers.
    pub description: String,
    /// The key set every case uses.
    pub jwks: Value,
    /// Default validation options.
    pub options: Value,
    /// Default time of the check, seconds since the Unix epoch.
    pub now: i64,
    /// `verify` cases.
    pub cases: Vec<TokenCase>,
    /// The policy the `authorize` cases run against.
    pub policy: Value,
    /// `authorize` cases.
    pub authorize: Vec<AuthorizeCase>,
}

/// One token to verify.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenCase {
    /// The rule it exercises.
    pub name: String,
    /// The compact JWT.
    pub token: String,
    /// Options merged over the file's.
    #[serde(default)]
    pub options: Option<Value>,
    /// Time of the check, when not the file's.
    #[serde(default)]
    pub now: Option<i64>,
    /// Claims an accepted token must carry (`{sub}`).
    #[serde(default)]
    pub expect: Option<Value>,
    /// Error code of a refused token.
    #[serde(default)]
    pub expect_error: Option<String>,
}

impl TokenCase {
    fn expected(&self) -> Expected<'_> {
        Expected { expect: &self.expect, expect_error: &self.expect_error }
    }
}

/// One `authorize(token, permission)`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeCase {
    /// What it shows.
    pub name: String,
    /// The compact JWT.
    pub token: String,
    /// The permission asked for.
    pub permission: String,
    /// `{allowed, reason, subject?, role?, pattern?}`.
    pub expect: Value,
}

/// The sanitizer vectors (`sanitizer/cases.json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SanitizerVectors {
    /// What the file covers.
    pub description: String,
    /// The cases.
    pub cases: Vec<SanitizerCase>,
}

/// One input and what every face must make of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SanitizerCase {
    /// The text.
    pub input: String,
    /// Expected `escape` output.
    pub escape: String,
    /// Expected `strip` output.
    pub strip: String,
    /// Expected findings.
    pub findings: Value,
}

fn run_sanitizer(face: &mut dyn Face, report: &mut Report) {
    let vectors: SanitizerVectors = read_json(&vectors_dir().join("sanitizer/cases.json"));
    for case in &vectors.cases {
        let checks = [
            ("escape", Value::from(case.escape.clone()), Value::from(face.sanitize("escape", &case.input))),
            ("strip", Value::from(case.strip.clone()), Value::from(face.sanitize("strip", &case.input))),
            ("inspect", case.findings.clone(), face.inspect(&case.input)),
        ];
        for (what, expected, got) in checks {
            report.cases += 1;
            if expected != got {
                report.failures.push(Failure {
                    location: format!("sanitizer/cases.json {what} {:?}", case.input),
                    expected: expected.to_string(),
                    got: got.to_string(),
                });
            }
        }
    }
}

fn merged(base: &Value, overrides: Option<&Value>) -> Value {
    let mut options = base.clone();
    if let (Some(target), Some(Value::Object(extra))) = (options.as_object_mut(), overrides) {
        for (key, value) in extra {
            target.insert(key.clone(), value.clone());
        }
    }
    options
}

fn run_tokens(face: &mut dyn Face, report: &mut Report) {
    let vectors: TokenVectors = read_json(&vectors_dir().join("jwt/tokens.json"));
    let jwks = vectors.jwks.to_string();
    for case in &vectors.cases {
        report.cases += 1;
        let options = merged(&vectors.options, case.options.as_ref());
        let got = face.verify_token(&jwks, &options, &case.token, case.now.unwrap_or(vectors.now));
        // Every claim the vector names must be there with that value.
        let carries = |expected: &Value, claims: &Value| {
            expected
                .as_object()
                .is_some_and(|want| want.iter().all(|(name, value)| claims.get(name) == Some(value)))
        };
        if !case.expected().met_by(&got, carries) {
            report.failures.push(Failure {
                location: format!("jwt/tokens.json `{}`", case.name),
                expected: case.expected().describe(),
                got: describe(&got),
            });
        }
    }
    if let Err(refusal) = face.load(&vectors.policy.to_string()) {
        report.failures.push(Failure {
            location: "jwt/tokens.json policy".into(),
            expected: "the policy to load".into(),
            got: refusal.code,
        });
        return;
    }
    for case in &vectors.authorize {
        report.cases += 1;
        let got = face.authorize(&jwks, &vectors.options, &case.token, &case.permission, vectors.now);
        if got.as_ref().ok() != Some(&case.expect) {
            report.failures.push(Failure {
                location: format!("jwt/tokens.json authorize `{}`", case.name),
                expected: case.expect.to_string(),
                got: describe(&got),
            });
        }
    }
}

/// A disagreement between a face and a vector.
#[derive(Debug)]
pub struct Failure {
    /// Which vector and case.
    pub location: String,
    /// What was expected.
    pub expected: String,
    /// What the face said.
    pub got: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: expected {}, got {}", self.location, self.expected, self.got)
    }
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases run.
    pub cases: usize,
    /// Disagreements.
    pub failures: Vec<Failure>,
}

/// The folder holding the vectors.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

fn describe(result: &Result<Value, Refusal>) -> String {
    match result {
        Ok(value) => value.to_string(),
        Err(refusal) => format!("error {}", refusal.code),
    }
}

/// Runs every vector through `face`.
pub fn run_all(face: &mut dyn Face) -> Report {
    let mut report = Report::default();
    let dir = vectors_dir();

    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("policy"))
        .expect("tests/vectors/policy exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for path in files {
        let vector: PolicyVector = read_json(&path);
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if let Err(refusal) = face.load(&vector.policy.to_string()) {
            report.cases += vector.cases.len();
            report.failures.push(Failure {
                location: format!("{file} ({})", vector.name),
                expected: "the policy to load".into(),
                got: format!("error {}", refusal.code),
            });
            continue;
        }
        for (i, case) in vector.cases.iter().enumerate() {
            report.cases += 1;
            let got = face.query(&case.query);
            if !case.expected().met_by(&got, |expected, value| expected == value) {
                report.failures.push(Failure {
                    location: format!("{file} case {i} {:?}", case.query),
                    expected: case.expected().describe(),
                    got: describe(&got),
                });
            }
        }
    }

    let errors: Vec<PolicyErrorVector> = read_json(&dir.join("policy-errors.json"));
    for vector in errors {
        report.cases += 1;
        let got = face.load(&vector.policy_text);
        if got.as_ref().err().map(|r| r.code.as_str()) != Some(vector.expect_error.as_str()) {
            report.failures.push(Failure {
                location: format!("policy-errors.json {}", vector.name),
                expected: format!("error {}", vector.expect_error),
                got: describe(&got.map(|()| Value::Null)),
            });
        }
    }

    run_tokens(face, &mut report);
    run_sanitizer(face, &mut report);

    let identifiers: Vec<IdentifierVector> = read_json(&dir.join("identifiers.json"));
    for vector in identifiers {
        report.cases += 1;
        let got = face.validate_identifier(&vector.kind, &vector.value);
        let ok = match (&got, vector.valid) {
            (Ok(()), true) => true,
            (Err(refusal), false) => {
                refusal.code == "ERR_INVALID_IDENTIFIER" && refusal.violation == vector.violation
            }
            _ => false,
        };
        if !ok {
            report.failures.push(Failure {
                location: format!("identifiers.json {} {:?}", vector.kind, vector.value),
                expected: if vector.valid { "valid".into() } else { format!("{:?}", vector.violation) },
                got: format!("{got:?}"),
            });
        }
    }
    report
}
