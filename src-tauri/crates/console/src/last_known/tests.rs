#![allow(clippy::unwrap_used)]

use super::*;
use sluice_core::snapshot::{Health, SourceKind, SourceState};

fn snapshot() -> Snapshot {
    serde_json::from_value(serde_json::json!({
        "sequence": 7,
        "generatedAt": "2026-12-06T09:00:00Z",
        "environments": [],
        "gates": [],
        "sources": [],
        "pullRequests": [],
        "viewer": null,
        "inbox": []
    }))
    .unwrap()
}

fn with_env(mut s: Snapshot) -> Snapshot {
    let mut env: sluice_core::snapshot::EnvironmentState = serde_json::from_value(serde_json::json!({
        "name": "production", "namespace": "production", "version": null, "health": "healthy",
        "healthReason": "", "workloads": [], "rollout": null, "helmHistory": [], "lastDeployed": null,
        "runningSince": null, "deployedValues": null, "drift": null, "warnings": [], "stale": false,
        "problems": []
    }))
    .unwrap();
    env.health = Health::Healthy;
    s.environments.push(env);
    s.sources.push(SourceState {
        name: "kubernetes (tbyte)".into(),
        kind: SourceKind::Kubernetes,
        connected: true,
        synced: true,
        last_event_at: None,
        last_error: None,
        rate_remaining: None,
    });
    s
}

#[test]
fn a_saved_state_comes_back_marked_as_last_known_and_stale() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("pipeline.yaml");
    let path = file_in(&dir.path().join("state"), &pipeline);
    assert_eq!(load(&path, &pipeline).unwrap(), None, "nothing kept yet");
    save(
        &path,
        &pipeline,
        &with_env(snapshot()),
        "2026-12-06T09:00:05Z",
    )
    .unwrap();
    let back = load(&path, &pipeline).unwrap().unwrap();
    assert_eq!(back.last_known.as_deref(), Some("2026-12-06T09:00:05Z"));
    assert!(back.environments[0].stale, "what is shown is not live");
    assert!(!back.sources[0].connected);
    assert_eq!(back.environments[0].health, Health::Healthy);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }
    assert!(
        !path.with_extension("json.partial").exists(),
        "the temporary file was renamed into place"
    );
}

#[test]
fn damaged_foreign_or_other_pipelines_states_are_problems_and_are_moved_aside_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("pipeline.yaml");
    let path = file_in(dir.path(), &pipeline);
    for (text, says) in [
        ("{\"format\":\"sluice-last-k", "not a Sluice state"),
        (
            "{\"format\":\"other\",\"version\":1,\"pipeline\":\"x\",\"savedAt\":\"x\",\"snapshot\":null}",
            "not a Sluice state",
        ),
        ("\u{0}\u{1}binary", "not a Sluice state"),
    ] {
        std::fs::write(&path, text).unwrap();
        let err = load(&path, &pipeline).unwrap_err();
        assert_eq!(err.code, "last-known.unreadable");
        assert!(err.message.contains(says), "{}", err.message);
        assert!(!err.hint.is_empty());
    }
    // Another pipeline's state is not this one's.
    let other = dir.path().join("other.yaml");
    save(&path, &other, &snapshot(), "2026-12-06T09:00:00Z").unwrap();
    let err = load(&path, &pipeline).unwrap_err();
    assert!(err.message.contains("not of"), "{}", err.message);

    std::fs::write(&path, "damaged").unwrap();
    save(&path, &pipeline, &snapshot(), "2026-12-06T09:10:00Z").unwrap();
    let aside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("unreadable-2026-12-06T09-10-00Z"))
        .collect();
    assert_eq!(
        aside.len(),
        1,
        "moved aside by the save at 09:10: {aside:?}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(&aside[0])).unwrap(),
        "damaged",
        "kept as it was"
    );
    assert!(load(&path, &pipeline).unwrap().is_some());
}

#[test]
fn a_file_too_large_to_be_a_state_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("pipeline.yaml");
    let path = file_in(dir.path(), &pipeline);
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_BYTES + 1).unwrap();
    let err = load(&path, &pipeline).unwrap_err();
    assert!(
        err.message.contains("more than a state can be"),
        "{}",
        err.message
    );
}
