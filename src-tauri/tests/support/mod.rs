//! What the command-line suites share: the built binary run in a home of its own, against the
//! shipped pipeline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use sluice_sim::testing;

pub fn shipped() -> PathBuf {
    testing::shipped_pipeline_dir().join("pipeline.yaml")
}

/// `sluice <args>` in a home of its own, with no keychain to reach and no token in the
/// environment unless `env` gives one.
pub async fn sluice(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"));
    command
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("share"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        // No Secret Service: what works must work without one (scripts, CI jobs, SSH).
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env_remove("SLUICE_AUDIT_JOURNAL")
        .env_remove("SLUICE_STATE_DIR")
        .kill_on_drop(true);
    for (k, v) in env {
        command.env(k, v);
    }
    tokio::time::timeout(Duration::from_secs(240), command.output())
        .await
        .expect("sluice finished within four minutes")
        .unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The shipped pipeline without the clock-dependent gate conditions.
pub fn clock_free(dir: &Path) -> PathBuf {
    let source = testing::shipped_pipeline_dir();
    for f in ["values-dev.yaml", "values-staging.yaml", "values-prod.yaml"] {
        std::fs::copy(source.join(f), dir.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(shipped()).unwrap();
    let head = &text[..text.find("      soak:").unwrap()];
    let path = dir.join("pipeline.yaml");
    std::fs::write(
        &path,
        format!("{head}      requiredChecks: [build, test]\n"),
    )
    .unwrap();
    path
}

/// A simulated world at `speed` where production runs `main[1]` and staging and dev `main[2]`,
/// each deployed by helm as CI does.
#[allow(dead_code)] // each suite compiles this module; not every one starts a world
pub async fn tbyte_world(speed: f64) -> sluice_sim::SimWorld {
    let world = sluice_sim::SimWorld::start(sluice_sim::WorldOptions {
        speed,
        ..sluice_sim::WorldOptions::default()
    })
    .await
    .unwrap();
    let main = world.seeded.main.clone();
    testing::deploy(&world, "tbyte-prod", "production", 3, &main[1]).unwrap();
    testing::deploy(&world, "tbyte-staging", "staging", 2, &main[2]).unwrap();
    testing::deploy(&world, "tbyte-dev", "dev", 1, &main[2]).unwrap();
    world
}
