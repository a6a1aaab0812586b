//! The kubeconfig a simulated world hands out: one context per name the pipeline uses, all on
//! the simulated cluster, for the default person, plus `<context>@<login>` for everyone.

use std::fmt::Write as _;

use crate::people::Person;

/// Renders a kubeconfig. `contexts` are the names the pipeline's environments use; the first
/// becomes the current context. Tokens are in the file because that is what kubectl reads;
/// the file is written with owner-only permissions.
pub fn render(
    server_url: &str,
    ca_pem: &str,
    contexts: &[String],
    people: &[Person],
    default_person: &Person,
) -> String {
    let mut out = String::from("apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n");
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let _ = writeln!(
        out,
        "- name: sluice-sim\n  cluster:\n    server: {server_url}\n    certificate-authority-data: {ca}"
    );
    out.push_str("users:\n");
    for p in people {
        let _ = writeln!(
            out,
            "- name: {}\n  user:\n    token: {}",
            p.login, p.kube_token
        );
    }
    out.push_str("contexts:\n");
    for ctx in contexts {
        let _ = writeln!(
            out,
            "- name: {ctx}\n  context:\n    cluster: sluice-sim\n    user: {}",
            default_person.login
        );
        for p in people {
            let _ = writeln!(
                out,
                "- name: {ctx}@{}\n  context:\n    cluster: sluice-sim\n    user: {}",
                p.login, p.login
            );
        }
    }
    let current = contexts.first().map_or("sluice-sim", String::as_str);
    let _ = writeln!(out, "current-context: {current}");
    out
}

/// Writes `text` to `path` readable by its owner only: it holds tokens.
pub fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::cast;

    #[test]
    fn every_context_exists_for_every_person() {
        let people = cast();
        let text = render(
            "https://127.0.0.1:1",
            "PEM",
            &["tbyte".into()],
            &people,
            &people[0],
        );
        assert!(text.contains("current-context: tbyte"));
        for p in &people {
            assert!(text.contains(&format!("- name: tbyte@{}", p.login)));
            assert!(text.contains(&p.kube_token));
        }
    }

    #[cfg(unix)]
    #[test]
    fn written_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/kubeconfig");
        write_private(&path, "x").unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
