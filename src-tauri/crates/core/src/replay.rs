//! A past promotion's rollout, as recorded while it ran: the target environment's state each
//! time it changed, with when. Presentation mode plays it back for demos and post-mortems.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::snapshot::EnvironmentState;

/// One recorded moment of the rollout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReplayFrame {
    /// Milliseconds since the recording started.
    #[ts(type = "number")]
    pub at_ms: u64,
    /// The environment as the live view showed it then.
    pub state: EnvironmentState,
}

/// A recorded rollout, ready to play.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Replay {
    /// The attempt it belongs to (its journal correlation).
    pub correlation: String,
    pub environment: String,
    /// RFC 3339, when the recording started.
    pub started_at: String,
    /// In time order; the first is the state before anything changed.
    pub frames: Vec<ReplayFrame>,
    /// Frames past the recording's cap, not kept (the rollout went on longer than a replay
    /// holds), or lines that could not be read.
    pub left_out: u32,
}
