#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The simulated world's cost: RSS and CPU while the tbyte story plays one simulated hour,
//! against the same world standing idle for the same hour (the reference, measured in this run).
//! Run with `make bench`. Target: ≤ 50 MiB RSS.

use std::time::{Duration, Instant};

use sluice_sim::kube::resources::Kind;
use sluice_sim::story::StoryOptions;
use sluice_sim::{SimWorld, WorldOptions};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// User + system CPU time of this process.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

struct Figures {
    wall: Duration,
    cpu: Duration,
    rss_mib: f64,
    objects: usize,
}

/// Steps a manual clock through one hour in one-second steps, yielding between steps.
async fn one_hour(story: bool) -> Figures {
    let world = SimWorld::start(WorldOptions {
        start: "2026-11-26T09:00:00Z".parse().unwrap(),
        speed: 0.0,
        story: story.then(StoryOptions::default),
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    let (cpu0, wall0) = (cpu(), Instant::now());
    for _ in 0..3600 {
        world.clock.advance(Duration::from_secs(1));
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let objects = [
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::Pod,
        Kind::Event,
        Kind::Secret,
    ]
    .iter()
    .map(|k| world.kube.list(*k, None).len())
    .sum();
    Figures {
        wall: wall0.elapsed(),
        cpu: cpu() - cpu0,
        rss_mib: rss_kib() as f64 / 1024.0,
        objects,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let idle = runtime.block_on(one_hour(false));
    let story = runtime.block_on(one_hour(true));
    println!("one simulated hour of the simulated world (3600 one-second steps)");
    println!(
        "{:<8} {:>10} {:>10} {:>10} {:>9}",
        "world", "wall", "cpu", "rss MiB", "objects"
    );
    for (name, f) in [("idle", &idle), ("story", &story)] {
        println!(
            "{name:<8} {:>9.2}s {:>9.2}s {:>10.1} {:>9}",
            f.wall.as_secs_f64(),
            f.cpu.as_secs_f64(),
            f.rss_mib,
            f.objects
        );
    }
    println!(
        "story/idle: cpu {:.2}x, rss {:.2}x; rss target <= 50 MiB: {}",
        story.cpu.as_secs_f64() / idle.cpu.as_secs_f64().max(0.01),
        story.rss_mib / idle.rss_mib.max(0.1),
        if story.rss_mib <= 50.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
