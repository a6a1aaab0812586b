//! Kubernetes errors in words a person can act on, without what they must not see. A kubeconfig's
//! exec plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`, a corporate login) prints a
//! credential on stdout; when it fails, kube's error quotes its whole output, so a half-printed
//! token would reach logs and the window. Only the plugin's stderr — where plugins say what to
//! do — is kept.

use kube::client::AuthError;

/// The longest stretch of a plugin's stderr that is shown.
const STDERR_LIMIT: usize = 400;

/// An error and its causes on one line; an exec plugin's failure is told by [`plugin_failure`]
/// instead, without its output.
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    plugin_failure(error).unwrap_or_else(|| sluice_core::error::one_line(error))
}

/// What went wrong with the kubeconfig's exec plugin, if that is what `error` (or one of its
/// causes) is about.
fn plugin_failure(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(auth) = e.downcast_ref::<AuthError>() {
            return match auth {
                // Not `cmd`: kube writes it with the plugin's arguments and environment, which
                // can hold secrets too.
                AuthError::AuthExecRun { out, .. } => {
                    // Terminal escapes and control characters do not belong in the window.
                    let stderr: String = String::from_utf8_lossy(&out.stderr)
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect();
                    let stderr = stderr.trim();
                    let said = if stderr.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", truncate(stderr, STDERR_LIMIT))
                    };
                    Some(format!(
                        "the kubeconfig's credential plugin failed ({}){said}",
                        out.status
                    ))
                }
                AuthError::AuthExecStart(e) => Some(format!(
                    "the kubeconfig's credential plugin could not be started: {e}"
                )),
                // The parser's message may quote the output, and the output is a credential.
                AuthError::AuthExecParse(_) => Some(
                    "the kubeconfig's credential plugin answered something that is not an ExecCredential"
                        .to_owned(),
                ),
                AuthError::ExecPluginFailed => Some(
                    "the kubeconfig's credential plugin answered without a credential (no `status`)"
                        .to_owned(),
                ),
                // kube's fixed sentences (an unsupported provider, a missing id-token) say what
                // to do; the gcp token command's messages quote its command line and answer.
                AuthError::AuthExec(message) => Some(if quotes_a_provider(message) {
                    "the kubeconfig's auth provider failed; run `kubectl get ns` with the same context to see why"
                        .to_owned()
                } else {
                    format!("the kubeconfig's auth provider failed: {message}")
                }),
                _ => None,
            };
        }
        current = e.source();
    }
    None
}

/// Whether kube's `AuthExec` message quotes a provider's command or answer.
fn quotes_a_provider(message: &str) -> bool {
    ["Executing ", "Result is not", "failed to spawn"]
        .iter()
        .any(|p| message.starts_with(p))
}

fn truncate(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_auth_providers_fixed_sentences_pass_and_its_quotes_do_not() {
        let told = |m: &str| plugin_failure(&AuthError::AuthExec(m.to_owned())).unwrap_or_default();
        assert!(told("Authentication with provider oidc not supported").contains("oidc"));
        let quoted = told("Executing gcloud config config-helper --token=s3cret failed: x");
        assert!(!quoted.contains("s3cret"), "{quoted}");
    }

    #[test]
    fn long_text_is_cut_on_a_character() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("ééééé", 2), "éé…");
    }
}
