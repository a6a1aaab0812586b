//! Sluice's GitHub source: an octocrab client pointed at github.com, GitHub Enterprise Server or
//! the simulated GitHub, with conditional requests (a quiet repository costs no rate limit),
//! rate-limit retries that honour `retry-after`, and the reads and reviews the console needs;
//! [`GithubSource`] polls those reads into the console's inputs.

mod cache;
mod client;
mod device;
mod error;
mod reads;
mod source;
mod token;

pub use client::{
    CheckState, CommitSummary, Comparison, DeploymentRef, GithubClient, GithubConfig, Identity,
    MAX_FILE_BYTES, PendingDeployment, PullSummary, RateBudget, Review, RunState, WaitingRun,
};
pub use device::{DeviceLogin, start_device_login};
pub use error::GithubError;
pub use source::{GithubSource, GithubView};
pub use token::GithubToken;
