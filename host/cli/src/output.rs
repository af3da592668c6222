//! Printing results as text or JSON, and errors the same way.

use serde_json::{Value, json};

use crate::error::CliError;

/// Where results go: text for people, JSON (`--json`) for programs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Output {
    json: bool,
}

impl Output {
    /// Text or JSON.
    pub(crate) fn new(json: bool) -> Self {
        Self { json }
    }

    /// Whether output is JSON.
    pub(crate) fn is_json(&self) -> bool {
        self.json
    }

    /// Prints `value` as JSON, or `text` for people.
    pub(crate) fn print(&self, value: &Value, text: &str) {
        if self.json {
            println!("{value}");
        } else {
            println!("{text}");
        }
    }

    /// Prints an error on stderr: `error[CODE]: message`, or a JSON object with `--json`.
    pub(crate) fn error(&self, error: &CliError) {
        if self.json {
            eprintln!("{}", json!({"error": {"code": error.code(), "message": error.to_string()}}));
        } else {
            eprintln!("error[{}]: {error}", error.code());
        }
    }
}
