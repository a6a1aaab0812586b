//! `sluice sim`: the simulated world as a standalone process, for kubectl, helm, demos and tests.

use std::collections::BTreeMap;
use std::process::ExitCode;

use sluice_core::UiError;
use sluice_sim::story::StoryOptions;
use sluice_sim::{SimWorld, WorldOptions};

use super::{SimArgs, terminal};
use crate::Console;
use crate::demo::{pipeline_contexts, repository_files, story_environments};

fn failed(what: String) -> UiError {
    UiError::new(
        "sim.failed",
        what,
        "Check the pipeline file (`sluice validate`) and that the paths given are writable.",
    )
}

/// Starts the world, writes the kubeconfig (and tokens), prints one line per server, and runs
/// until Ctrl-C.
pub(super) fn run(console: &Console, args: &SimArgs) -> Result<ExitCode, UiError> {
    let pipeline = console.pipeline()?;
    let environments = story_environments(console, &pipeline).map_err(failed)?;
    let repository_files = repository_files(console, &pipeline);
    super::block_on(async {
        let world = SimWorld::start(WorldOptions {
            speed: args.speed,
            environments,
            repository_files,
            story: Some(StoryOptions {
                auto_approve_after: args
                    .auto_approve_after
                    .map(|m| std::time::Duration::from_secs(m * 60)),
                ..StoryOptions::default()
            }),
            ..WorldOptions::default()
        })
        .await
        .map_err(|e| failed(format!("cannot start the simulated world: {e}")))?;
        if let Some(namespace) = &args.crash_next_rollout {
            let healthy = std::time::Duration::from_secs(args.crash_after.unwrap_or(0));
            world.kube.crash_next_rollout_after(namespace, healthy);
        }
        world
            .write_kubeconfig(&args.kubeconfig, &pipeline_contexts(&pipeline))
            .map_err(|e| failed(format!("cannot write {}: {e}", args.kubeconfig.display())))?;
        if let Some(path) = &args.github_tokens {
            let tokens: BTreeMap<&str, &str> = world
                .people
                .iter()
                .map(|p| (p.login.as_str(), p.github_token.as_str()))
                .collect();
            let json = serde_json::to_string_pretty(&tokens)
                .map_err(|e| failed(format!("cannot encode the tokens: {e}")))?;
            sluice_sim::kubeconfig::write_private(path, &json)
                .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))?;
        }
        terminal::println(&format!("kubernetes: {}", world.kube_server.url()));
        terminal::println(&format!("github: {}", world.github_server.url()));
        terminal::println(&format!("kubeconfig: {}", args.kubeconfig.display()));
        tracing::info!(url = %world.kube_server.url(), "simulated world running");
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| failed(format!("cannot wait for Ctrl-C: {e}")))?;
        Ok(ExitCode::SUCCESS)
    })
}
