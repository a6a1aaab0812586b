#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Helm release Secrets come from clusters Sluice does not control: `base64(gzip(json))` with a
//! YAML manifest and a whole chart inside. Whatever the bytes, decoding ends in a release or a
//! typed error; a decompression bomb or deep nesting is refused, not expanded; a broken
//! manifest costs only the release's member list; and a stored chart never writes outside the
//! folder it is rebuilt in.

#[path = "../../core/tests/fuzz_support/mod.rs"]
mod fuzz_support;

use std::io::Write;
use std::sync::LazyLock;

use base64::Engine;
use fuzz_support::{budget, deep_json, mutated, mutated_json, random_bytes};
use proptest::prelude::*;
use serde_json::{Value, json};
use sluice_kube::helm::{
    ChartError, ChartFile, HelmDecodeError, MAX_DECODED_BYTES, StoredChart, decode_record,
    decode_release,
};

const MANIFEST: &str = "---
# Source: tbyte/templates/api.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tbyte-staging-api
  labels: {app: api}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/tbyte-org/tbyte-api:a1b2c3d
---
# Source: tbyte/templates/web.yaml
kind: Deployment
metadata:
  name: tbyte-staging-web
---
kind: Service
metadata:
  name: tbyte-staging-api
---
";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A release record with the shape Helm 3 writes.
static SAMPLE: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "name": "tbyte-staging",
        "namespace": "staging",
        "version": 7,
        "info": {
            "first_deployed": "2026-11-20T10:00:00.123456789Z",
            "last_deployed": "2026-11-25T09:30:00.5Z",
            "deleted": "",
            "description": "Upgrade complete",
            "status": "deployed",
            "notes": "Visit https://staging.tbyte.local"
        },
        "chart": {
            "metadata": {"name": "tbyte-microservices", "version": "0.3.1", "appVersion": "1.4.2", "apiVersion": "v2"},
            "templates": [
                {"name": "templates/api.yaml", "data": b64(b"kind: Deployment\n")},
                {"name": "templates/_helpers.tpl", "data": b64(b"{{- define \"x\" -}}{{- end -}}")}
            ],
            "values": {"replicaCount": 1, "image": {"tag": "latest"}},
            "schema": null,
            "files": [{"name": ".helmignore", "data": b64(b"*.tgz\n")}]
        },
        "config": {"replicaCount": 2, "image": {"tag": "a1b2c3d"}},
        "manifest": MANIFEST
    })
});

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// How a cluster may hand the JSON over: gzipped or not (old Helm), base64 on one line or
/// wrapped.
#[derive(Debug, Clone, Copy)]
struct Encoding {
    gzipped: bool,
    wrap: Option<usize>,
}

fn encoding() -> impl Strategy<Value = Encoding> {
    (any::<bool>(), proptest::option::of(1usize..120))
        .prop_map(|(gzipped, wrap)| Encoding { gzipped, wrap })
}

fn encode(json: &[u8], how: Encoding) -> Vec<u8> {
    let raw = if how.gzipped {
        gzip(json)
    } else {
        json.to_vec()
    };
    let text = b64(&raw);
    match how.wrap {
        None => text.into_bytes(),
        Some(width) => text
            .as_bytes()
            .chunks(width)
            .collect::<Vec<_>>()
            .join(&b'\n'),
    }
}

/// Decodes `payload` both ways and checks that they agree and that errors are typed.
fn decode(payload: &[u8]) -> Result<sluice_kube::helm::HelmRelease, HelmDecodeError> {
    let release = decode_release(payload);
    let record = decode_record(payload);
    match (&release, &record) {
        (Ok(r), Ok(whole)) => {
            assert_eq!(r, &whole.release);
            if let Some(deployments) = &r.deployments {
                assert!(deployments.is_sorted());
                assert!(deployments.iter().all(|d| !d.is_empty()));
            }
            assert!(
                !r.values.is_null(),
                "values are a map, `{{}}` when Helm wrote none"
            );
        }
        // The record also reads the chart, so it may fail where the release alone does not.
        (Ok(_), Err(e)) => assert!(matches!(e, HelmDecodeError::Json(_)), "{e}"),
        (Err(e), Err(whole)) => {
            assert!(!e.to_string().is_empty());
            assert_eq!(e.to_string(), whole.to_string());
        }
        (Err(e), Ok(_)) => panic!("the release failed ({e}) where its whole record did not"),
    }
    release
}

proptest! {
    #![proptest_config(budget(64))]

    #[test]
    fn any_bytes_decode_or_are_refused(bytes in random_bytes()) {
        let _ = decode(&bytes);
    }

    #[test]
    fn any_bytes_as_base64_decode_or_are_refused(bytes in random_bytes(), how in encoding()) {
        let _ = decode(&encode(&bytes, how));
    }

    /// A record whose fields hold other types, huge or control-laden strings, deep values, or
    /// are missing: a release when the fields Sluice needs are there, else a JSON error.
    #[test]
    fn a_mutated_record_decodes_or_is_refused(json in mutated_json(SAMPLE.clone()), how in encoding()) {
        let decoded = decode(&encode(&json, how));
        if let (Ok(release), Ok(doc)) = (&decoded, serde_json::from_slice::<Value>(&json)) {
            prop_assert_eq!(Some(release.name.as_str()), doc["name"].as_str());
            prop_assert_eq!(Some(u64::from(release.revision)), doc["version"].as_u64());
        }
    }

    #[test]
    fn deep_json_is_refused_not_followed(json in deep_json(), how in encoding()) {
        prop_assert!(matches!(decode(&encode(&json, how)), Err(HelmDecodeError::Json(_))));
    }

    /// The manifest is YAML from the chart's templates: whatever it holds, the release decodes;
    /// an unreadable manifest only leaves its members unknown.
    #[test]
    fn a_mutated_manifest_never_fails_the_release(manifest in mutated(MANIFEST), how in encoding()) {
        let mut doc = SAMPLE.clone();
        doc["manifest"] = Value::String(String::from_utf8_lossy(&manifest).into_owned());
        let release = decode(&encode(doc.to_string().as_bytes(), how)).unwrap();
        prop_assert_eq!(release.revision, 7);
    }

    /// Fields written by Helm come back as written, and the Deployments of the manifest are its
    /// members, sorted and once each.
    #[test]
    fn a_valid_record_decodes_as_written(
        name in "[a-z][a-z0-9-]{0,30}",
        namespace in "[a-z][a-z0-9-]{0,20}",
        revision in any::<u32>(),
        status in prop::sample::select(vec!["deployed", "superseded", "failed", "pending-upgrade"]),
        deployments in proptest::collection::vec("[a-z][a-z0-9-]{0,20}", 0..6),
        how in encoding(),
    ) {
        let manifest: String = deployments
            .iter()
            .map(|d| format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {d}\n---\nkind: Service\nmetadata:\n  name: svc-{d}\n"))
            .collect();
        let mut doc = SAMPLE.clone();
        doc["name"] = json!(name);
        doc["namespace"] = json!(namespace);
        doc["version"] = json!(revision);
        doc["info"]["status"] = json!(status);
        doc["manifest"] = json!(manifest);
        let release = decode(&encode(doc.to_string().as_bytes(), how)).unwrap();
        prop_assert_eq!(
            (release.name, release.namespace, release.revision, release.status),
            (name, namespace, revision, status.to_owned())
        );
        let mut members = deployments;
        members.sort();
        members.dedup();
        let expected = if manifest.is_empty() { None } else { Some(members) };
        prop_assert_eq!(release.deployments, expected);
    }

    /// File names in a stored chart come from the cluster: every one either lands inside the
    /// chart's folder or is refused.
    #[test]
    fn a_stored_chart_writes_only_inside_its_folder(
        names in proptest::collection::vec(
            proptest::collection::vec(
                prop::sample::select(vec!["..", ".", "", "a", "templates", "/", "\\", "\0", "\u{1b}", "~", "\u{202e}"]),
                1..6,
            ).prop_map(|parts| parts.join("/")),
            1..4,
        )
    ) {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("chart");
        std::fs::create_dir(&dir).unwrap();
        let chart = StoredChart {
            templates: names.iter().map(|n| ChartFile { name: n.clone(), data: b"x".to_vec() }).collect(),
            ..StoredChart::default()
        };
        match chart.write_into(&dir) {
            Ok(()) => {}
            Err(ChartError::BadName(_)) => {}
            Err(e) => {
                // A name that is a folder already (`a` then `a/a`) cannot be written over.
                prop_assert!(matches!(e, ChartError::Io { .. }), "{}", e);
            }
        }
        let outside: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        prop_assert_eq!(outside, vec![std::ffi::OsString::from("chart")]);
    }
}

#[test]
fn a_decompression_bomb_in_wrapped_base64_is_cut_off() {
    let bomb = gzip(&vec![b'{'; (MAX_DECODED_BYTES + 1) as usize]);
    let payload = encode(
        &bomb,
        Encoding {
            gzipped: false,
            wrap: Some(76),
        },
    );
    assert!(matches!(
        decode_release(&payload),
        Err(HelmDecodeError::TooLarge)
    ));
}

#[test]
fn a_gzip_inside_gzip_is_not_unpacked_twice() {
    let twice = gzip(&gzip(SAMPLE.to_string().as_bytes()));
    assert!(matches!(
        decode_release(b64(&twice).as_bytes()),
        Err(HelmDecodeError::Json(_))
    ));
}

#[test]
fn an_alias_bomb_in_the_manifest_leaves_only_the_members_unknown() {
    let mut doc = SAMPLE.clone();
    doc["manifest"] = json!(format!(
        "{MANIFEST}kind: ConfigMap\ndata: {}\n",
        fuzz_support::anchor_bomb(9)
    ));
    let release = decode(&encode(
        doc.to_string().as_bytes(),
        Encoding {
            gzipped: true,
            wrap: None,
        },
    ))
    .unwrap();
    assert_eq!(release.deployments, None);
    assert_eq!(release.chart_version, "0.3.1");
}
