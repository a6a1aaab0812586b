//! The deterministic tbyte repository every world starts from: two merged changes on `main`, an
//! open pull request with checks still running, the CI and Deploy workflows, the release
//! managers team (the approver and the lead) and the three environments of the pipeline, with
//! what each one last received.

use std::time::Duration;

use super::world::{
    CheckStatus, Conclusion, DeploymentSpec, DeploymentState, EnvironmentSpec, GithubWorld,
    Reviewer, StatusSpec, WorldError,
};

pub const APPROVER: &str = "alice-approver";
pub const DEVELOPER: &str = "dave-developer";
/// The release lead: reviews production as a member of the release managers, not by name.
pub const LEAD: &str = "carol-lead";
pub const RELEASE_MANAGERS: &str = "release-managers";

/// What the seed created, for the story and tests to refer to.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// `main`, oldest first.
    pub main: Vec<String>,
    /// Head of the open pull request's branch.
    pub feature_head: String,
    pub merged_pull: u64,
    pub open_pull: u64,
    pub feature_branch: String,
    pub deploy_workflow: u64,
    pub ci_workflow: u64,
}

/// Seeds `world` (created with [`crate::people::cast`]) with the tbyte repository. Each step
/// advances the world's clock by a few minutes so that commit times are distinct.
pub fn seed_tbyte(world: &GithubWorld) -> Result<Seeded, WorldError> {
    let step = |minutes: u64| world.clock().advance(Duration::from_secs(minutes * 60));
    world.add_team(RELEASE_MANAGERS, "Release managers", &[APPROVER, LEAD])?;
    let ci_workflow = world.add_workflow("CI", ".github/workflows/ci.yml");
    let deploy_workflow =
        world.add_workflow(&super::deploy_workflow().name, super::DEPLOY_WORKFLOW_PATH);

    let root = world.commit(
        "main",
        APPROVER,
        "Initial tbyte service: rate-card API skeleton",
    )?;
    step(7);
    let chart = world.commit(
        "main",
        APPROVER,
        "Add Helm chart and values for dev, staging and prod",
    )?;
    step(31);

    let health = world.commit(
        "feature/healthz",
        DEVELOPER,
        "Add /healthz endpoint for the readiness probe",
    )?;
    for name in ["build", "test"] {
        world.set_check_run(
            &health,
            name,
            CheckStatus::Completed,
            Some(Conclusion::Success),
        )?;
    }
    step(5);
    let merged_pull = world.open_pull(
        "Add /healthz endpoint",
        "feature/healthz",
        "main",
        DEVELOPER,
    )?;
    step(42);
    let merge = world.merge_pull(merged_pull, DEVELOPER)?;
    for name in ["build", "test"] {
        world.set_check_run(
            &merge,
            name,
            CheckStatus::Completed,
            Some(Conclusion::Success),
        )?;
    }
    step(18);

    let feature_branch = "feature/rate-card-cache".to_owned();
    let cache = world.commit(
        &feature_branch,
        DEVELOPER,
        "Cache rate cards for 60 seconds",
    )?;
    step(3);
    let feature_head = world.commit(
        &feature_branch,
        DEVELOPER,
        "Expose cache hit ratio as a metric",
    )?;
    let open_pull = world.open_pull("Cache rate cards", &feature_branch, "main", DEVELOPER)?;
    world.set_check_run(
        &cache,
        "build",
        CheckStatus::Completed,
        Some(Conclusion::Success),
    )?;
    world.set_check_run(
        &feature_head,
        "build",
        CheckStatus::Completed,
        Some(Conclusion::Success),
    )?;
    world.set_check_run(&feature_head, "test", CheckStatus::InProgress, None)?;
    step(2);

    world.configure_environment(EnvironmentSpec {
        name: "dev".into(),
        ..EnvironmentSpec::default()
    })?;
    world.configure_environment(EnvironmentSpec {
        name: "staging".into(),
        ..EnvironmentSpec::default()
    })?;
    world.configure_environment(EnvironmentSpec {
        name: "production".into(),
        wait_timer: 0,
        reviewers: vec![
            Reviewer::User(APPROVER.into()),
            Reviewer::Team(RELEASE_MANAGERS.into()),
        ],
        prevent_self_review: true,
    })?;

    // What each environment runs now: production is one change behind staging.
    for (env, sha) in [("production", &chart), ("staging", &merge), ("dev", &merge)] {
        let mut spec = DeploymentSpec::new(sha, env, super::world::ACTIONS_BOT);
        spec.description = Some(format!("Deploy {} to {env}", &sha[..7]));
        let id = world.create_deployment(spec)?;
        world.add_deployment_status(
            id,
            StatusSpec::new(DeploymentState::Success, super::world::ACTIONS_BOT),
        )?;
        step(1);
    }

    Ok(Seeded {
        main: vec![root, chart, merge],
        feature_head,
        merged_pull,
        open_pull,
        feature_branch,
        deploy_workflow,
        ci_workflow,
    })
}
