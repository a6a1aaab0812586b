//! Fails when `ui/src/lib/bindings.ts` no longer matches the Rust types.
//! `SLUICE_UPDATE_BINDINGS=1 cargo test -p sluice-core --test bindings_fresh` rewrites it.

use std::path::Path;

#[test]
fn committed_bindings_match_the_rust_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ui/src/lib/bindings.ts");
    let generated = sluice_core::bindings::typescript();
    if std::env::var_os("SLUICE_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `make bindings` and commit the result",
        path.display()
    );
}
