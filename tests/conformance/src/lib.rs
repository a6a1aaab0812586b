//! The conformance suites live in `tests/`; this library is empty on purpose: the crate exists
//! so the suites build as part of the workspace and run with `cargo test`.
