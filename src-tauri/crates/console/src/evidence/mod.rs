//! Exporting the evidence of one attempt: its journal entries and its attempt record
//! ([`record`]) made into [`sluice_core::evidence::Evidence`], sealed with its hash, and written
//! as a self-contained HTML page and the same as JSON.

pub mod record;

use std::path::{Path, PathBuf};

use sluice_core::UiError;
use sluice_core::audit::{AuditEntry, ChainReport};
use sluice_core::evidence::{self, EvidenceExport, Sealed};

/// How to find an attempt's id, for every error that names one.
pub const FIND_IDS: &str = "Attempt ids are the `correlation` of each entry in `sluice audit --json` (any unique prefix will do), or use Export evidence on the attempt in the window's Audit view.";

/// The entries of the one attempt whose id is `id` or starts with it, in journal order.
pub fn entries_of(entries: &[AuditEntry], id: &str) -> Result<Vec<AuditEntry>, UiError> {
    let id = id.trim();
    let key = |e: &AuditEntry| {
        if e.correlation.is_empty() {
            e.id.clone()
        } else {
            e.correlation.clone()
        }
    };
    let exact: Vec<AuditEntry> = entries.iter().filter(|e| key(e) == id).cloned().collect();
    if !exact.is_empty() {
        return Ok(exact);
    }
    let mut ids: Vec<String> = entries
        .iter()
        .map(key)
        .filter(|k| !id.is_empty() && k.starts_with(id))
        .collect();
    ids.dedup();
    ids.sort();
    ids.dedup();
    match ids.as_slice() {
        [one] => Ok(entries.iter().filter(|e| key(e) == *one).cloned().collect()),
        [] => Err(UiError::new(
            "evidence.unknown-attempt",
            format!(
                "No attempt in the audit journal has the id `{}`.",
                sluice_core::text::visible(id)
            ),
            FIND_IDS,
        )),
        many => Err(UiError::new(
            "evidence.ambiguous-attempt",
            format!(
                "`{}` begins the ids of {} attempts: {}.",
                sluice_core::text::visible(id),
                many.len(),
                many.join(", ")
            ),
            "Give more of the id, so that it names one attempt.",
        )),
    }
}

/// The sealed evidence of the attempt `id` in the journal at `journal` (whose entries are
/// `entries`, and whose chain was found as `chain` when it was checked), exported now.
pub fn gather(
    journal: &Path,
    entries: &[AuditEntry],
    chain: Option<&ChainReport>,
    id: &str,
) -> Result<Sealed, UiError> {
    let mine = entries_of(entries, id)?;
    let correlation = mine
        .first()
        .map(|e| {
            if e.correlation.is_empty() {
                e.id.clone()
            } else {
                e.correlation.clone()
            }
        })
        .unwrap_or_default();
    let record = record::read(journal, &correlation);
    let built =
        evidence::build(&mine, record.as_ref(), &crate::journal::now()).ok_or_else(|| {
            UiError::new(
                "evidence.unknown-attempt",
                "The attempt has no entries.",
                FIND_IDS,
            )
        })?;
    let built = match chain {
        Some(report) => built.checked(report),
        None => built,
    };
    Ok(evidence::seal(built))
}

/// `out` without a `.html` or `.json` ending: both files are written beside it.
fn stem(out: &Path) -> PathBuf {
    match out.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("json") => {
            out.with_extension("")
        }
        _ => out.to_path_buf(),
    }
}

fn with_suffix(stem: &Path, suffix: &str) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes `text` to `path` whole or not at all (a temporary file renamed into place).
fn write_atomically(path: &Path, text: &str) -> Result<(), UiError> {
    let failed = |e: std::io::Error| {
        UiError::new(
            "evidence.export-failed",
            format!("Cannot write {}: {e}", path.display()),
            "Check that the folder exists and you may write to it.",
        )
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(failed)?;
    tmp.as_file().sync_all().map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// Writes `<out>.html` and `<out>.json` (an `.html` or `.json` ending of `out` is dropped).
pub fn write(sealed: &Sealed, out: &Path) -> Result<EvidenceExport, UiError> {
    let stem = stem(out);
    let html = with_suffix(&stem, ".html");
    let json = with_suffix(&stem, ".json");
    write_atomically(&html, &evidence::html::render(sealed))?;
    write_atomically(&json, &evidence::to_json_file(sealed))?;
    Ok(EvidenceExport {
        correlation: sealed.evidence.correlation.clone(),
        html: html.display().to_string(),
        json: json.display().to_string(),
        sha256: sealed.sha256.clone(),
    })
}

/// The file name (without ending) an export takes by default: environment, attempt, time.
pub fn default_name(sealed: &Sealed) -> String {
    let e = &sealed.evidence;
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "sluice-evidence-{}-{}",
        safe(&e.environment),
        safe(&e.correlation)
    )
}

/// Writes the evidence into `dir` under its [`default_name`].
pub fn write_into(sealed: &Sealed, dir: &Path) -> Result<EvidenceExport, UiError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        UiError::new(
            "evidence.export-failed",
            format!("Cannot create {}: {e}", dir.display()),
            "Check that you may write there.",
        )
    })?;
    write(sealed, &dir.join(default_name(sealed)))
}

/// Reads an exported file (at most 64 MiB) and checks it: `Ok` with what it holds, or why it
/// is not what Sluice exported.
pub fn verify_file(path: &Path) -> Result<evidence::Verified, UiError> {
    read_verified(path).map(|(verified, _)| verified)
}

/// [`verify_file`], with the file's text as it was verified (to show exactly that).
pub fn read_verified(path: &Path) -> Result<(evidence::Verified, String), UiError> {
    use std::io::Read as _;
    const MAX: u64 = 64 * 1024 * 1024;
    let unreadable = |why: String| {
        UiError::new(
            "evidence.unreadable",
            format!("Cannot read {}: {why}", path.display()),
            "Give the path of a file `sluice evidence` or the Audit view exported.",
        )
    };
    let file = std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX {
        return Err(unreadable(format!("it is larger than {MAX} bytes")));
    }
    let text = String::from_utf8(bytes).map_err(|_| unreadable("it is not UTF-8 text".into()))?;
    let verified = evidence::verify(&text).map_err(|e| {
        UiError::new(
            "evidence.not-verified",
            format!("{} does not verify: {e}.", path.display()),
            "Do not rely on this copy: export the evidence again from the journal it came from (`sluice evidence <attempt-id>`).",
        )
    })?;
    Ok((verified, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::audit::{AuditAction, AuditMethod, AuditResult};

    fn entry(id: &str, correlation: &str) -> AuditEntry {
        AuditEntry {
            id: id.into(),
            at: "2026-03-01T10:00:00Z".into(),
            correlation: correlation.into(),
            actor: "alice".into(),
            environment: "production".into(),
            from_version: None,
            to_version: None,
            method: AuditMethod::Kubernetes,
            action: AuditAction::Promote,
            plan: None,
            gates: vec![],
            comment: None,
            override_reason: None,
            result: AuditResult::Started,
            error: None,
            run_id: None,
            sha: None,
            shipped: None,
            revision: None,
            recorded_late: None,
        }
    }

    #[test]
    fn an_attempt_is_named_by_its_id_or_a_unique_prefix() {
        let journal = [
            entry("18a-1-0", "18a-1-0"),
            entry("18b-1-1", "18b-1-1"),
            entry("18c-1-2", "18a-1-0"),
        ];
        assert_eq!(entries_of(&journal, "18a-1-0").unwrap().len(), 2);
        assert_eq!(entries_of(&journal, "18a").unwrap().len(), 2);
        let err = entries_of(&journal, "18").unwrap_err();
        assert_eq!(err.code, "evidence.ambiguous-attempt");
        assert!(err.message.contains("18a-1-0, 18b-1-1"), "{}", err.message);
        let err = entries_of(&journal, "zz").unwrap_err();
        assert_eq!(err.code, "evidence.unknown-attempt");
        assert!(err.hint.contains("sluice audit --json"), "{}", err.hint);
        assert_eq!(
            entries_of(&journal, "").unwrap_err().code,
            "evidence.unknown-attempt"
        );
    }

    #[test]
    fn both_files_are_written_beside_the_name_given() {
        let dir = tempfile::tempdir().unwrap();
        let sealed = evidence::seal(
            evidence::build(&[entry("a", "a")], None, "2026-03-02T00:00:00Z").unwrap(),
        );
        let out = write(&sealed, &dir.path().join("proof.html")).unwrap();
        assert!(out.html.ends_with("proof.html") && out.json.ends_with("proof.json"));
        for p in [&out.html, &out.json] {
            assert_eq!(verify_file(Path::new(p)).unwrap().sha256, sealed.sha256);
        }
        let err = verify_file(&dir.path().join("nothing.html")).unwrap_err();
        assert_eq!(err.code, "evidence.unreadable");
    }
}
