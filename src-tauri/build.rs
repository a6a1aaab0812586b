// Declaring the app's commands makes them subject to the ACL: a window may call a command only
// when a capability in capabilities/ grants `allow-<command>`.
const COMMANDS: &[&str] = &[
    "load_pipeline",
    "get_snapshot",
    "environment_values",
    "get_session",
    "sign_in_with_token",
    "sign_in_from_environment",
    "start_device_sign_in",
    "finish_device_sign_in",
    "cancel_device_sign_in",
    "sign_in_as_demo_person",
    "sign_out",
    "set_demo",
    "set_demo_speed",
    "set_kube_context",
    "review",
    "act",
    "rollback",
    "audit",
    "export_audit",
    "open_url",
    "set_attention",
    "notify",
    "set_fullscreen",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        eprintln!("tauri build script failed: {e:#}");
        std::process::exit(1);
    }
}
