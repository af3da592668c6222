//! One AuthZEN request answered end to end, for a face that has an engine to ask:
//! the endpoint read from its path, the request read, each question put to the
//! engine, the answer written. The face keeps only its transport (HTTP, a fetch
//! handler) and says what its engine's faults are.

use serde_json::Value;

use super::{
    EVALUATION_PATH, EVALUATIONS_PATH, Evaluations, SEARCH_ACTION_PATH, SEARCH_RESOURCE_PATH,
    SEARCH_SUBJECT_PATH, Search, SearchKind, Target, evaluation, search,
};
use crate::authz::{CheckRequest, SearchRequest};
use crate::error::ErrorReport;

/// An endpoint of the API that takes a request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /access/v1/evaluation`.
    Evaluation,
    /// `POST /access/v1/evaluations`.
    Evaluations,
    /// `POST /access/v1/search/{subject,resource,action}`.
    Search(SearchKind),
}

impl Endpoint {
    /// Every endpoint that takes a request body.
    pub const ALL: [Self; 5] = [
        Self::Evaluation,
        Self::Evaluations,
        Self::Search(SearchKind::Subject),
        Self::Search(SearchKind::Resource),
        Self::Search(SearchKind::Action),
    ];

    /// Its path below the PDP's base URL.
    pub fn path(self) -> &'static str {
        match self {
            Self::Evaluation => EVALUATION_PATH,
            Self::Evaluations => EVALUATIONS_PATH,
            Self::Search(SearchKind::Subject) => SEARCH_SUBJECT_PATH,
            Self::Search(SearchKind::Resource) => SEARCH_RESOURCE_PATH,
            Self::Search(SearchKind::Action) => SEARCH_ACTION_PATH,
        }
    }

    /// The endpoint at `path`, if it is one.
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|endpoint| endpoint.path() == path)
    }
}

/// Why an engine, or a request, gave no answer.
#[derive(Debug)]
pub enum Failure<F> {
    /// The question was wrong (`crate::refusal` names the codes): in a batch, that
    /// evaluation's failure; alone, the request's (HTTP 400).
    Refused(ErrorReport),
    /// The engine or its host failed: the whole request fails with it (the face's
    /// status; `crate::unavailable` says which are 503). The evaluations of a batch
    /// after the failing one are never asked.
    Fault(F),
}

/// What a face decides and searches with: its answers are the core's JSON (a
/// decision `{allowed, reason, ...}`, a page `{items, next?}`).
pub trait Engine {
    /// A failure that is the engine's, not the request's.
    type Fault;
    /// Decides one check.
    fn evaluate(&mut self, check: &CheckRequest) -> Result<Value, Failure<Self::Fault>>;
    /// Runs one search.
    fn search(&mut self, request: &SearchRequest) -> Result<Value, Failure<Self::Fault>>;
}

/// A request read, before any engine is asked (a face may refuse a malformed one
/// before it takes an engine).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// `POST /access/v1/evaluation`.
    Evaluation(Target),
    /// `POST /access/v1/evaluations`.
    Evaluations(Evaluations),
    /// `POST /access/v1/search/*`.
    Search(Search),
}

impl Request {
    /// Reads `body` sent to `endpoint`; what is wrong with it is refused, naming the field.
    pub fn read(endpoint: Endpoint, body: &str) -> Result<Self, ErrorReport> {
        Ok(match endpoint {
            Endpoint::Evaluation => Self::Evaluation(evaluation(body)?),
            Endpoint::Evaluations => Self::Evaluations(Evaluations::from_json(body)?),
            Endpoint::Search(kind) => Self::Search(search(kind, body)?),
        })
    }

    /// The AuthZEN answer, from `engine`.
    pub fn answer<E: Engine>(&self, engine: &mut E) -> Result<Value, Failure<E::Fault>> {
        let mut asked = Asked { engine, fault: None };
        let answer = match self {
            Self::Evaluation(target) => target.answer(|check| asked.evaluate(check)),
            Self::Evaluations(batch) => batch.answer(|check| asked.evaluate(check)),
            Self::Search(found) => found.answer(|request| asked.search(request)),
        };
        match (answer, asked.fault) {
            (_, Some(fault)) => Err(Failure::Fault(fault)),
            (Ok(answer), None) => Ok(answer),
            (Err(report), None) => Err(Failure::Refused(report)),
        }
    }
}

/// The AuthZEN answer to `body` sent to `endpoint`, from `engine`.
pub fn respond<E: Engine>(
    endpoint: Endpoint,
    body: &str,
    engine: &mut E,
) -> Result<Value, Failure<E::Fault>> {
    Request::read(endpoint, body).map_err(Failure::Refused)?.answer(engine)
}

/// An engine as one request asks it: its first fault kept, and nothing more asked
/// after it.
struct Asked<'e, E: Engine> {
    engine: &'e mut E,
    fault: Option<E::Fault>,
}

impl<E: Engine> Asked<'_, E> {
    fn evaluate(&mut self, check: &CheckRequest) -> Result<Value, ErrorReport> {
        if self.fault.is_some() {
            return Err(stopped());
        }
        let answer = self.engine.evaluate(check);
        self.kept(answer)
    }

    fn search(&mut self, request: &SearchRequest) -> Result<Value, ErrorReport> {
        if self.fault.is_some() {
            return Err(stopped());
        }
        let answer = self.engine.search(request);
        self.kept(answer)
    }

    fn kept(&mut self, answer: Result<Value, Failure<E::Fault>>) -> Result<Value, ErrorReport> {
        answer.map_err(|failure| match failure {
            Failure::Refused(report) => report,
            Failure::Fault(fault) => {
                self.fault = Some(fault);
                stopped()
            }
        })
    }
}

/// What an evaluation asked after the engine failed gets; the request fails anyway.
fn stopped() -> ErrorReport {
    ErrorReport::new("ERR_INTERNAL", "an internal error occurred")
}
