//! # tessera-authzen
//!
//! The core's AuthZEN 1.0 translation (`tessera_core::authzen`) as a module of its
//! own, which the npm package's edge PDP (`authzenHandler`) loads on first use: an
//! HTTP face nobody runs in a page should not weigh on every page's download. It
//! holds no engine. Each question a request asks goes back to the caller, which
//! puts it to its authorizer (the main module) and hands the answer back.
//!
//! The calling convention:
//! - [`buffer`] gives room for the inputs, written back to back; [`route`] tells
//!   what a path is; [`answer`] and [`configuration`] take their byte lengths and return an HTTP status; the
//!   answer's bytes are then at [`output`].
//! - A question is the import `tessera.ask(question, address, len)`: the core's
//!   request JSON (a `CheckRequest` for [`Question::Evaluate`], a `SearchRequest` for
//!   [`Question::Search`]) lies at `address`. The caller writes the core's answer
//!   JSON, or its failure's `{code, message}`, into [`reply`] and returns what it
//!   is as a [`Said`].

use core::cell::RefCell;

use serde_json::Value;
use tessera_core::authzen::{self, Endpoint, Engine, Failure};
use tessera_core::{CheckRequest, ErrorReport, SearchRequest};

#[cfg(target_arch = "wasm32")]
mod exports;

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static REPLY: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// What the module asks its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Question {
    /// Decide the check: a decision `{allowed, reason, ...}`.
    Evaluate = 0,
    /// Run the search: a page `{items, next?}`.
    Search = 1,
}

/// What the caller's reply is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Said {
    /// The answer.
    Answer = 0,
    /// A failure: `{code, message}`.
    Failed = 1,
}

/// The statuses [`answer`] returns.
pub mod status {
    /// The answer.
    pub const OK: u32 = 200;
    /// The request is wrong: the output is the core's error report.
    pub const BAD_REQUEST: u32 = 400;
    /// No AuthZEN endpoint has that path.
    pub const NOT_FOUND: u32 = 404;
    /// The caller's engine failed: the output says no more than that.
    pub const FAULT: u32 = 500;
    /// The caller's engine cannot decide now (`tessera_core::unavailable`: no
    /// snapshot in force, an expired one): the output is its failure as it reported it.
    pub const UNAVAILABLE: u32 = 503;
}

fn grow(cell: &'static std::thread::LocalKey<RefCell<Vec<u8>>>, len: u32) -> Option<usize> {
    cell.with_borrow_mut(|buffer| {
        let len = usize::try_from(len).ok()?;
        if let Some(more) = len.checked_sub(buffer.len()).filter(|&more| more > 0) {
            buffer.try_reserve_exact(more).ok()?;
            buffer.resize(len, 0);
        }
        Some(buffer.as_ptr() as usize)
    })
}

/// The address of the input buffer, grown to at least `len` bytes; `None` when the
/// memory cannot be had.
pub fn buffer(len: u32) -> Option<usize> {
    grow(&INPUT, len)
}

/// The address of the reply buffer, made exactly `len` bytes long (the caller
/// writes its reply there during `ask`, and all of it is read); `None` when the
/// memory cannot be had.
pub fn reply(len: u32) -> Option<usize> {
    let address = grow(&REPLY, len)?;
    REPLY.with_borrow_mut(|reply| reply.truncate(len as usize));
    Some(address)
}

/// Where the last answer lies: its address and length.
pub fn output() -> (usize, usize) {
    OUTPUT.with_borrow(|output| (output.as_ptr() as usize, output.len()))
}

fn put(status: u32, bytes: &[u8]) -> u32 {
    OUTPUT.with_borrow_mut(|output| {
        output.clear();
        output.extend_from_slice(bytes);
    });
    status
}

/// The input buffer's first fields, of these lengths, as text.
fn inputs<const N: usize, T>(lengths: [u32; N], f: impl FnOnce([&str; N]) -> T) -> Result<T, ErrorReport> {
    INPUT.with_borrow(|buffer| {
        let mut rest = buffer.as_slice();
        let mut out = [""; N];
        for (slot, len) in out.iter_mut().zip(lengths) {
            let at = usize::try_from(len).ok().filter(|&at| at <= rest.len());
            let (field, tail) = rest
                .split_at(at.ok_or_else(|| ErrorReport::invalid_argument("an input lies past the buffer"))?);
            *slot = core::str::from_utf8(field)
                .map_err(|_| ErrorReport::invalid_argument("the request body is not UTF-8"))?;
            rest = tail;
        }
        Ok(f(out))
    })
}

/// The caller, as the core's AuthZEN code asks an engine.
struct Caller<A>(A);

/// A failure the caller reported, as it reported it.
struct Fault(Vec<u8>);

impl<A: FnMut(Question, &str) -> Said> Caller<A> {
    fn ask(&mut self, question: Question, request: &str) -> Result<Value, Failure<Fault>> {
        let said = (self.0)(question, request);
        REPLY.with_borrow(|reply| match said {
            Said::Answer => serde_json::from_slice(reply).map_err(|_| Failure::Fault(Fault(not_json()))),
            Said::Failed => {
                let report: Value = serde_json::from_slice(reply).unwrap_or_default();
                let field = |name: &str| report.get(name).and_then(Value::as_str);
                // A refusal of the question keeps its code; anything else is the engine's.
                match field("code").and_then(tessera_core::refusal) {
                    Some(code) => {
                        Err(Failure::Refused(ErrorReport::new(code, field("message").unwrap_or(code))))
                    }
                    None => Err(Failure::Fault(Fault(reply.clone()))),
                }
            }
        })
    }
}

fn not_json() -> Vec<u8> {
    ErrorReport::new("ERR_INTERNAL", "the engine's answer is not JSON").to_json().into_bytes()
}

fn internal() -> ErrorReport {
    ErrorReport::new("ERR_INTERNAL", "an internal error occurred")
}

impl<A: FnMut(Question, &str) -> Said> Engine for Caller<A> {
    type Fault = Fault;

    fn evaluate(&mut self, check: &CheckRequest) -> Result<Value, Failure<Fault>> {
        self.ask(Question::Evaluate, &check.to_json())
    }

    fn search(&mut self, request: &SearchRequest) -> Result<Value, Failure<Fault>> {
        self.ask(Question::Search, &request.to_json())
    }
}

/// Answers the request in the buffer (its path below the PDP's base URL, its
/// body), putting each question to `ask`. The output is the answer (200), the
/// core's report of what is wrong with the request (400), nothing for a path that
/// is no endpoint (404), the caller's failure when it cannot decide now (503), or a
/// report that says only that it failed (500): what failed inside is not the
/// requester's to read.
pub fn answer(path_len: u32, body_len: u32, ask: impl FnMut(Question, &str) -> Said) -> u32 {
    let answered = inputs([path_len, body_len], |[path, body]| {
        let endpoint = Endpoint::from_path(path)?;
        Some(authzen::respond(endpoint, body, &mut Caller(ask)))
    });
    match answered {
        Ok(None) => put(status::NOT_FOUND, b""),
        Ok(Some(Ok(answer))) => put(status::OK, answer.to_string().as_bytes()),
        Err(report) | Ok(Some(Err(Failure::Refused(report)))) => {
            put(status::BAD_REQUEST, report.to_json().as_bytes())
        }
        Ok(Some(Err(Failure::Fault(Fault(report))))) => {
            let code = serde_json::from_slice::<Value>(&report).ok().and_then(|report| {
                report.get("code").and_then(Value::as_str).and_then(tessera_core::unavailable)
            });
            match code {
                Some(_) => put(status::UNAVAILABLE, &report),
                None => put(status::FAULT, internal().to_json().as_bytes()),
            }
        }
    }
}

/// What the path in the buffer is: [`routes::NONE`], [`routes::POST`] (an endpoint
/// [`answer`] answers) or [`routes::GET`] (the discovery document).
pub fn route(path_len: u32) -> u32 {
    inputs([path_len], |[path]| match path {
        authzen::CONFIGURATION_PATH => routes::GET,
        _ if Endpoint::from_path(path).is_some() => routes::POST,
        _ => routes::NONE,
    })
    .unwrap_or(routes::NONE)
}

/// What [`route`] returns.
pub mod routes {
    /// No AuthZEN route.
    pub const NONE: u32 = 0;
    /// An endpoint taking a request body.
    pub const POST: u32 = 1;
    /// The discovery document.
    pub const GET: u32 = 2;
}

/// The discovery document for a PDP at the base URL in the buffer (scheme and
/// authority, no trailing slash): always 200, unless the input is not UTF-8 (400).
pub fn configuration(base_len: u32) -> u32 {
    match inputs([base_len], |[base]| authzen::configuration(base).to_string()) {
        Ok(document) => put(status::OK, document.as_bytes()),
        Err(report) => put(status::BAD_REQUEST, report.to_json().as_bytes()),
    }
}

#[cfg(test)]
mod tests;
