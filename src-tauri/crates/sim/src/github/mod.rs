//! The simulated GitHub: the REST API of `tbyte-org/tbyte` (and github.com's device flow) on
//! loopback, answering in the shapes of GitHub's official OpenAPI description, with ETags,
//! rate limits and protection rules that behave as GitHub's do.
//!
//! [`GithubWorld`] holds the state and is what the story drives; [`start`] serves it.

mod api;
mod blob;
mod device;
mod past;
mod ratelimit;
mod render;
mod seed;
mod workflow;
mod world;

use std::io;

pub use api::{ENDPOINTS, router};
pub use blob::blob_sha;
pub use past::{CADENCE_HOURS, PastOutcome, past_outcome, past_releases, seed_past};
pub use ratelimit::{ANONYMOUS_LIMIT, AUTHENTICATED_LIMIT};
pub use seed::{APPROVER, DEVELOPER, LEAD, RELEASE_MANAGERS, Seeded, seed_tbyte};
pub use workflow::{DEPLOY_WORKFLOW_PATH, DeployJob, DeployWorkflow, deploy_workflow};
pub use world::{
    ACTIONS_BOT, CheckStatus, Conclusion, DeploymentSpec, DeploymentState, EnvironmentSpec,
    GithubEvent, GithubWorld, ReviewRefusal, ReviewState, Reviewer, RunStatus, StatusSpec,
    WorldError,
};

use crate::faults::Faults;
use crate::server::SimServer;

/// Serves `world` on a free loopback port; `faults` inject latency and 5xx answers (and dropped
/// connections, through [`SimServer`]).
pub async fn start(world: GithubWorld, faults: Faults) -> io::Result<SimServer> {
    SimServer::start(router(world, faults.clone()), faults).await
}
