//! The single source of Sluice's domain types: the validated pipeline, the errors the UI shows,
//! and the rules that turn a pipeline file into either a [`Pipeline`] or precise diagnostics.

pub mod approval;
pub mod assemble;
pub mod audit;
pub mod bindings;
pub mod commit;
pub mod config;
pub mod desk;
pub mod error;
pub mod evidence;
pub mod history;
pub mod image;
pub mod inputs;
pub mod manifests;
pub mod metrics;
pub mod pacing;
pub mod pipeline;
pub mod quorum;
pub mod replay;
pub mod review;
pub mod snapshot;
pub mod snapshot_update;
pub mod text;
pub mod values;
pub mod verify;
pub mod web;

pub use config::{Diagnostic, PipelineError, load_pipeline};
pub use error::UiError;
pub use pipeline::Pipeline;
