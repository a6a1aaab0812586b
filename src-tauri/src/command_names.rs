// Every command the window may call, listed once: build.rs declares this list to the ACL
// (`include!`), lib.rs registers a handler per name, and a test holds the capability file, the
// handler list and the TypeScript backend to it.
pub const COMMANDS: &[&str] = &[
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
    "verify_audit",
    "open_url",
    "set_attention",
    "notify",
    "set_fullscreen",
];
