//! `sluice evidence <attempt-id> [--out FILE] [--json]`: the evidence of one attempt written as
//! FILE.html (a self-contained page) and FILE.json; `sluice evidence --verify FILE` checks a
//! copy.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sluice_core::UiError;
use sluice_core::evidence::{Evidence, EvidenceExport};

use super::{EvidenceArgs, terminal};
use crate::credentials::Keychain;
use crate::evidence;
use crate::journal::{Anchor, Journal, default_path};

pub(super) fn run(args: &EvidenceArgs) -> Result<ExitCode, UiError> {
    if let Some(file) = &args.verify {
        let verified = evidence::verify_file(file)?;
        terminal::println(&format!(
            "{}: verified. SHA-256 of its content: {}\n{}",
            file.display(),
            verified.sha256,
            describe(&verified.evidence)
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let journal = match &args.journal {
        Some(p) => p.clone(),
        None => default_path().map_err(|e| e.to_ui())?,
    };
    let attempt = args.attempt.as_deref().unwrap_or_default();
    let written = export(&journal, attempt, args.out.as_deref(), &Keychain::os())?;
    if args.json {
        terminal::print_json(&serde_json::to_string_pretty(&written).map_err(|e| {
            UiError::new("evidence.encode", e.to_string(), "Report this as a bug.")
        })?);
    } else {
        terminal::print(&print_export(&written));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the evidence of `attempt` from the journal at `journal` to `out` (`.html` and
/// `.json`), or under its default name in the current folder.
/// The journal's chain is checked against the head kept in `keychain`, as `sluice audit
/// --verify` does, and the evidence says how it stood.
pub fn export(
    journal: &Path,
    attempt: &str,
    out: Option<&Path>,
    keychain: &Keychain,
) -> Result<EvidenceExport, UiError> {
    // Reading an audit trail must not create one.
    let entries = if journal.exists() {
        Journal::open_to_read(journal, Anchor::none())
            .and_then(|j| j.read())
            .map_err(|e| e.to_ui())?
            .entries
    } else {
        Vec::new()
    };
    let chain = super::audit::verify(journal, keychain).map_err(|e| e.to_ui())?;
    let sealed = evidence::gather(journal, &entries, Some(&chain), attempt)?;
    let out: PathBuf = match out {
        Some(p) => p.to_path_buf(),
        None => PathBuf::from(evidence::default_name(&sealed)),
    };
    evidence::write(&sealed, &out)
}

/// One line on what the evidence is of.
fn describe(e: &Evidence) -> String {
    format!(
        "Attempt {}: {} {} into {} by @{}, {}.",
        e.correlation,
        e.action.as_str(),
        e.to_version.as_deref().unwrap_or("(no version)"),
        e.environment,
        e.actor,
        e.result.as_str()
    )
}

/// What `sluice evidence` prints after writing.
pub fn print_export(written: &EvidenceExport) -> String {
    format!(
        "Wrote the evidence of attempt {}:\n  {}\n  {}\nSHA-256 of its content: {}\nCheck a copy with: sluice evidence --verify {}\n",
        written.correlation, written.html, written.json, written.sha256, written.html
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::super::{Cli, Command};
    use super::*;

    fn args(line: &[&str]) -> Result<EvidenceArgs, clap::Error> {
        match Cli::try_parse_from(line)?.command {
            Some(Command::Evidence(a)) => Ok(a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_attempt_or_a_file_to_verify_is_asked_for_never_both() {
        assert!(args(&["sluice", "evidence"]).is_err());
        assert!(args(&["sluice", "evidence", "abc", "--verify", "f.html"]).is_err());
        let a = args(&["sluice", "evidence", "abc", "--out", "x.html", "--json"]).unwrap();
        assert_eq!(a.attempt.as_deref(), Some("abc"));
        assert_eq!(a.out, Some(PathBuf::from("x.html")));
        assert!(a.json);
        assert!(args(&["sluice", "evidence", "--verify", "f.json"]).is_ok());
    }

    #[test]
    fn verifying_a_changed_copy_fails_with_why() {
        use sluice_core::audit::{AuditAction, AuditEntry, AuditMethod, AuditResult};
        let dir = tempfile::tempdir().unwrap();
        let entry = AuditEntry {
            id: "a".into(),
            at: "2026-03-01T10:00:00Z".into(),
            correlation: "a".into(),
            actor: "alice".into(),
            environment: "production".into(),
            from_version: None,
            to_version: Some("bbb2222".into()),
            method: AuditMethod::Kubernetes,
            action: AuditAction::Promote,
            plan: None,
            gates: vec![],
            comment: Some("ship".into()),
            override_reason: None,
            result: AuditResult::Started,
            error: None,
            run_id: None,
            sha: None,
            shipped: None,
            revision: None,
            recorded_late: None,
        };
        let sealed = sluice_core::evidence::seal(
            sluice_core::evidence::build(&[entry], None, "now").unwrap(),
        );
        let written = evidence::write(&sealed, &dir.path().join("e")).unwrap();
        let verify = |file: &str| {
            run(&EvidenceArgs {
                attempt: None,
                out: None,
                json: false,
                verify: Some(PathBuf::from(file)),
                journal: None,
            })
        };
        assert_eq!(verify(&written.html).unwrap(), ExitCode::SUCCESS);
        let text = std::fs::read_to_string(&written.json).unwrap();
        std::fs::write(&written.json, text.replace("\"ship\"", "\"shop\"")).unwrap();
        let err = verify(&written.json).unwrap_err();
        assert_eq!(err.code, "evidence.not-verified");
        assert!(
            err.message.contains("the content was changed"),
            "{}",
            err.message
        );
    }
}
