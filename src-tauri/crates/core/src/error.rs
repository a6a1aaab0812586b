//! The one error shape that crosses to the UI.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the person sees when something fails: a stable `code` for tests and styling, a `message`
/// saying what happened, and a `hint` saying what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UiError {
    pub code: String,
    pub message: String,
    pub hint: String,
}

impl UiError {
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (hint: {})", self.message, self.hint)
    }
}

impl std::error::Error for UiError {}

/// An error and its causes on one line, skipping causes their parent already quotes (client
/// libraries often repeat their source in their own message, or say what failed only there).
/// Say nothing with it that the chain may not show: callers strip what must stay hidden first.
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{text}")]
    struct Chain {
        text: &'static str,
        #[source]
        cause: Option<Box<Chain>>,
    }

    #[test]
    fn one_line_skips_causes_already_quoted() {
        let inner = Chain {
            text: "connection refused",
            cause: None,
        };
        let middle = Chain {
            text: "request failed: connection refused",
            cause: Some(Box::new(inner)),
        };
        let outer = Chain {
            text: "cannot reach GitHub",
            cause: Some(Box::new(middle)),
        };
        assert_eq!(
            one_line(&outer),
            "cannot reach GitHub: request failed: connection refused"
        );
    }

    #[test]
    fn serializes_as_code_message_hint() {
        let e = UiError::new("config.invalid", "bad key", "write `namespace`");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "config.invalid", "message": "bad key", "hint": "write `namespace`"})
        );
    }
}
