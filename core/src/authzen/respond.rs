//! One AuthZEN request answered end to end, for a face that has an engine to ask:
//! the endpoint read from its path, the request read, each question put to the
//! engine, the answer written. The face keeps only its transport (HTTP, a fetch
//! handler) and says what its engine's faults are.

use serde_json::Value;

use super::{
    EVALUATION_PATH, EVALUATIONS_PATH, Evaluations, SEARCH_ACTION_PATH, SEARCH_RESOURCE_PATH,
    SEARCH_SUBJECT_PATH, SearchKind, evaluation, search,
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

/// Why an engine gave no answer.
#[derive(Debug)]
pub enum Failure<F> {
    /// The question was wrong (`crate::refusal` names the codes): in a batch, that
    /// evaluation's failure; alone, the request's.
    Refused(ErrorReport),
    /// The engine or its host failed: the whole request fails with it.
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

/// Why a request has no answer.
#[derive(Debug)]
pub enum Unanswered<F> {
    /// The request is wrong (HTTP 400), as the report says.
    Refused(ErrorReport),
    /// The engine failed (the face's server status). The evaluations of a batch
    /// after the failing one were never asked.
    Fault(F),
}

/// The AuthZEN answer to `body` sent to `endpoint`, from `engine`.
pub fn respond<E: Engine>(
    endpoint: Endpoint,
    body: &str,
    engine: &mut E,
) -> Result<Value, Unanswered<E::Fault>> {
    let mut asked = Asked { engine, fault: None };
    let answer = match endpoint {
        Endpoint::Evaluation => {
            evaluation(body).and_then(|target| target.answer(|check| asked.evaluate(check)))
        }
        Endpoint::Evaluations => {
            Evaluations::from_json(body).and_then(|batch| batch.answer(|check| asked.evaluate(check)))
        }
        Endpoint::Search(kind) => {
            search(kind, body).and_then(|found| found.answer(|request| asked.search(request)))
        }
    };
    match (answer, asked.fault) {
        (_, Some(fault)) => Err(Unanswered::Fault(fault)),
        (Ok(answer), None) => Ok(answer),
        (Err(report), None) => Err(Unanswered::Refused(report)),
    }
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
    ErrorReport::new("ERR_INTERNAL", "An internal error occurred")
}
