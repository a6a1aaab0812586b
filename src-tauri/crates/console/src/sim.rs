//! `sluice sim`: the simulated world as a standalone process, for kubectl, demos and tests.

use std::collections::BTreeMap;

use sluice_sim::story::{StoryEnvironment, StoryOptions};
use sluice_sim::{SimWorld, WorldOptions};

use crate::Console;
use crate::cli::SimArgs;

/// Starts the world, writes the kubeconfig (and tokens), prints one line per server, and runs
/// until Ctrl-C.
pub fn run(console: &Console, args: &SimArgs) -> Result<(), String> {
    let pipeline = console
        .pipeline()
        .map_err(|e| format!("{}\nhint: {}", e.message, e.hint))?;
    let mut contexts: Vec<String> = Vec::new();
    for env in &pipeline.environments {
        if !contexts.contains(&env.kube_context) {
            contexts.push(env.kube_context.clone());
        }
    }
    let environments = story_environments(console, &pipeline)?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let world = SimWorld::start(WorldOptions {
            speed: args.speed,
            environments,
            story: Some(StoryOptions {
                auto_approve_after: args
                    .auto_approve_after
                    .map(|m| std::time::Duration::from_secs(m * 60)),
                ..StoryOptions::default()
            }),
            ..WorldOptions::default()
        })
        .await
        .map_err(|e| format!("cannot start the simulated world: {e}"))?;
        world
            .write_kubeconfig(&args.kubeconfig, &contexts)
            .map_err(|e| format!("cannot write {}: {e}", args.kubeconfig.display()))?;
        if let Some(path) = &args.github_tokens {
            let tokens: BTreeMap<&str, &str> = world
                .people
                .iter()
                .map(|p| (p.login.as_str(), p.github_token.as_str()))
                .collect();
            let json = serde_json::to_string_pretty(&tokens)
                .map_err(|e| format!("cannot encode the tokens: {e}"))?;
            sluice_sim::kubeconfig::write_private(path, &json)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        println!("kubernetes: {}", world.kube_server.url());
        println!("github: {}", world.github_server.url());
        println!("kubeconfig: {}", args.kubeconfig.display());
        tracing::info!(url = %world.kube_server.url(), "simulated world running");
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
        Ok(())
    })
}

/// The pipeline's environments with their values files, for the story to deploy.
pub fn story_environments(
    console: &Console,
    pipeline: &sluice_core::Pipeline,
) -> Result<Vec<StoryEnvironment>, String> {
    let base = console
        .pipeline_path()
        .parent()
        .unwrap_or(std::path::Path::new("."));
    pipeline
        .environments
        .iter()
        .map(|e| {
            Ok(StoryEnvironment {
                name: e.name.clone(),
                namespace: e.namespace.clone(),
                release: e.release.clone(),
                values: sluice_core::values::read_tree(&base.join(&e.values_file))?,
            })
        })
        .collect()
}
