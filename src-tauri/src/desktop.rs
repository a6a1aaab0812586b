//! The desktop around the window: the browser, the window title, notifications, full screen.

use sluice_core::UiError;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use tauri_plugin_opener::OpenerExt;

/// Where exports go: the desktop's downloads folder, else `~/Downloads` (created when missing),
/// as the README promises — never the bare home folder.
pub fn downloads<R: Runtime>(app: &AppHandle<R>) -> Result<std::path::PathBuf, UiError> {
    if let Ok(dir) = app.path().download_dir() {
        return Ok(dir);
    }
    app.path()
        .home_dir()
        .map(|home| home.join("Downloads"))
        .map_err(|e| {
            UiError::new(
                "audit.no-folder",
                format!("There is no downloads or home folder to export to: {e}"),
                "Set XDG_DOWNLOAD_DIR or HOME, then try again.",
            )
        })
}

/// Has WebKitGTK paint the window on the CPU rather than composite it through OpenGL. Where
/// there is no GPU driver (a VM, Xvfb, many remote desktops) its GL is Mesa's llvmpipe, which
/// maps LLVM into both processes: measured on the demo, the web process took 224 MiB PSS with
/// compositing and 129 MiB without, and the console's pages (cards, tables, progress bars) do
/// not need a GPU.
pub fn paint_without_gpu<R: Runtime>(window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = webview.inner().settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    })
}

/// The window's title when nothing waits on the person.
pub const TITLE: &str = "Sluice";

fn window<R: Runtime>(app: &AppHandle<R>) -> Result<tauri::WebviewWindow<R>, UiError> {
    app.get_webview_window("main").ok_or_else(|| {
        UiError::new(
            "window.missing",
            "The main window is gone.",
            "Restart Sluice.",
        )
    })
}

fn window_error(what: &str, e: &tauri::Error) -> UiError {
    UiError::new(
        "window.failed",
        format!("Could not {what}: {e}"),
        "Your desktop refused the request; Sluice works without it.",
    )
}

/// Only web links leave the app: a `file:` or custom-scheme URL from a PR title must not run
/// anything. Which hosts open without asking is the session's decision
/// ([`sluice_console::session::Session::link`]); this is the last check before the browser.
pub fn check_web_url(url: &str) -> Result<(), UiError> {
    if sluice_core::web::Origin::of(url).is_some() {
        Ok(())
    } else {
        Err(UiError::new(
            "url.refused",
            format!("Sluice opens only http and https links, not {url:?}."),
            "Copy the link and open it yourself if you trust it.",
        ))
    }
}

pub fn open_url<R: Runtime>(app: &AppHandle<R>, url: &str) -> Result<(), UiError> {
    check_web_url(url)?;
    app.opener().open_url(url, None::<&str>).map_err(|e| {
        UiError::new(
            "url.open-failed",
            format!("Could not open the browser: {e}"),
            format!("Open {url} in your browser yourself."),
        )
    })
}

/// The window title carries the number of things waiting on the person, as mail clients do.
pub fn title_for(count: u32) -> String {
    match count {
        0 => TITLE.to_owned(),
        n => format!("({n}) {TITLE}"),
    }
}

pub fn set_attention<R: Runtime>(app: &AppHandle<R>, count: u32) -> Result<(), UiError> {
    window(app)?
        .set_title(&title_for(count))
        .map_err(|e| window_error("set the window title", &e))
}

pub fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) -> Result<(), UiError> {
    app.notification()
        .builder()
        .title(title)
        .body(notification_body(body))
        .show()
        .map_err(|e| {
            // Without a notification daemon (a bare X session) this is expected; the inbox
            // count in the title still says it.
            tracing::info!(error = %e, "no desktop notification shown");
            UiError::new(
                "notification.failed",
                format!("The desktop did not show the notification: {e}"),
                "The inbox and the window title still show what waits on you.",
            )
        })
}

/// Freedesktop notification servers may read a body as markup (`<b>`, `<a href>`, `<img>`),
/// and the body quotes what others wrote: it is escaped to stay text. Elsewhere bodies are plain
/// text, where an escape would show as written.
#[cfg(all(unix, not(target_os = "macos")))]
fn notification_body(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn notification_body(text: &str) -> String {
    text.to_owned()
}

pub fn set_fullscreen<R: Runtime>(app: &AppHandle<R>, on: bool) -> Result<(), UiError> {
    window(app)?
        .set_fullscreen(on)
        .map_err(|e| window_error("change full screen", &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_are_opened() {
        assert!(check_web_url("https://github.com/o/r/pull/1").is_ok());
        assert!(check_web_url("http://127.0.0.1:8080/login/device").is_ok());
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ssh://host",
            "https://a b",
            "https://github.com@evil.example/",
            "",
        ] {
            assert_eq!(check_web_url(bad).unwrap_err().code, "url.refused", "{bad}");
        }
    }

    /// A body quotes PR titles and people's names; a notification server would take
    /// `<a href=…>` or `<img src=…>` in them as its markup.
    #[test]
    #[cfg(all(unix, not(target_os = "macos")))]
    fn notification_bodies_are_text_not_markup() {
        assert_eq!(
            notification_body("Review #42 <b>Fix</b> & <a href=\"https://evil.example\">it</a>"),
            "Review #42 &lt;b&gt;Fix&lt;/b&gt; &amp; &lt;a href=\"https://evil.example\"&gt;it&lt;/a&gt;"
        );
        assert_eq!(
            notification_body("&amp;"),
            "&amp;amp;",
            "escaped once, as written"
        );
    }

    #[test]
    fn the_title_counts_what_waits() {
        assert_eq!(title_for(0), "Sluice");
        assert_eq!(title_for(2), "(2) Sluice");
    }
}
