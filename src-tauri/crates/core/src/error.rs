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

#[cfg(test)]
mod tests {
    use super::*;

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
