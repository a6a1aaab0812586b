//! Exported evidence shown in a window of its own, inside the app: the page is served from
//! memory by the `sluice-evidence:` scheme (no network, no file URL), only after it verified,
//! with the page's own Content-Security-Policy sent as a header too. The window has no
//! capability (none names it), may navigate nowhere else, and the page has no script.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use sluice_core::UiError;
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// The scheme the evidence windows load their page from.
pub const SCHEME: &str = "sluice-evidence";
/// What the page may load: nothing but its own inline style.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";

/// The pages of the open evidence windows, by window label.
#[derive(Default)]
pub struct EvidencePages(Mutex<HashMap<String, String>>);

impl EvidencePages {
    fn pages(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The address of the page of window `label` (platforms spell custom schemes differently).
fn url(label: &str) -> String {
    if cfg!(windows) {
        format!("http://{SCHEME}.localhost/{label}")
    } else {
        format!("{SCHEME}://localhost/{label}")
    }
}

/// Whether an evidence window may show `url`: only its own scheme.
pub fn allowed(url: &tauri::Url) -> bool {
    url.scheme() == SCHEME
        || (url.scheme() == "http" && url.host_str() == Some(&format!("{SCHEME}.localhost")))
}

/// Answers a request of the `sluice-evidence:` scheme from the pages in memory.
pub fn serve<R: Runtime>(app: &AppHandle<R>, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let label = request.uri().path().trim_start_matches('/');
    let page = app
        .try_state::<EvidencePages>()
        .and_then(|pages| pages.pages().get(label).cloned());
    let builder = Response::builder()
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .header("Referrer-Policy", "no-referrer");
    let response = match page {
        Some(html) => builder
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(html.into_bytes()),
        None => builder
            .status(StatusCode::NOT_FOUND)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(b"This evidence window was closed.".to_vec()),
    };
    response.unwrap_or_else(|_| Response::new(Vec::new()))
}

/// Opens the exported evidence page at `path` in a new window, once it verified.
pub fn open<R: Runtime>(app: &AppHandle<R>, path: &Path) -> Result<String, UiError> {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    // The page shown is the very text that verified.
    let (verified, html) = sluice_console::evidence::read_verified(path)?;
    if sluice_core::evidence::html::embedded(&html).is_none() {
        return Err(UiError::new(
            "evidence.not-a-page",
            format!(
                "{} is the JSON of the evidence, not its page.",
                path.display()
            ),
            "Open the .html file exported beside it.",
        ));
    }
    let label = format!("evidence-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let e = &verified.evidence;
    let title = format!(
        "Evidence: {} into {} ({})",
        e.action.as_str(),
        e.environment,
        e.result.as_str()
    );
    let page_url = url(&label).parse().map_err(|e| {
        UiError::new(
            "evidence.window-failed",
            format!("Cannot address the evidence page: {e}"),
            "Report this as a bug.",
        )
    })?;
    app.state::<EvidencePages>()
        .pages()
        .insert(label.clone(), html);
    let pages_label = label.clone();
    let app_for_close = app.clone();
    let window = WebviewWindowBuilder::new(app, &label, WebviewUrl::CustomProtocol(page_url))
        .title(title)
        .inner_size(1000.0, 800.0)
        .on_navigation(allowed)
        .build()
        .map_err(|e| {
            // No window will ever ask for the page: it must not stay in memory.
            app.state::<EvidencePages>().pages().remove(&label);
            UiError::new(
                "evidence.window-failed",
                format!("Could not open a window for the evidence: {e}"),
                format!("Open {} in a browser instead.", path.display()),
            )
        })?;
    window.on_window_event(move |event| {
        if matches!(event, tauri::WindowEvent::Destroyed) {
            app_for_close
                .state::<EvidencePages>()
                .pages()
                .remove(&pages_label);
        }
    });
    Ok(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_its_own_scheme_is_shown_and_every_answer_forbids_loading_anything() {
        for (url, ok) in [
            ("sluice-evidence://localhost/evidence-1", true),
            ("http://sluice-evidence.localhost/evidence-1", true),
            ("https://github.com/octo/tbyte/pull/7", false),
            ("http://evil.example/", false),
            ("file:///etc/passwd", false),
            ("tauri://localhost/", false),
        ] {
            assert_eq!(allowed(&url.parse().unwrap()), ok, "{url}");
        }
        let app = tauri::test::mock_builder()
            .manage(EvidencePages::default())
            .build(tauri::test::mock_context(tauri::test::noop_assets()))
            .unwrap();
        app.state::<EvidencePages>()
            .pages()
            .insert("evidence-1".into(), "<p>proof</p>".into());
        let ask = |path: &str| {
            let request = Request::builder()
                .uri(format!("sluice-evidence://localhost/{path}"))
                .body(Vec::new())
                .unwrap();
            serve(app.handle(), &request)
        };
        let page = ask("evidence-1");
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.body(), b"<p>proof</p>");
        let gone = ask("evidence-2");
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        for answer in [&page, &gone] {
            assert_eq!(answer.headers()[header::CONTENT_SECURITY_POLICY], CSP);
        }
    }
}
