//! The crate knows how it was optimised, per-package profile overrides
//! included (its build script reads Cargo's `OPT_LEVEL`), so that a debug
//! build without the docs' profile lines is reported, not blamed on the
//! user's functions. The workspace's Cargo.toml optimises napi-tracing at
//! opt-level 3 in the dev profile, without debug assertions.

#[test]
fn the_dev_profile_override_is_what_the_crate_reports() {
    let (opt_level, debug_assertions, version) = napi_tracing::api::build();
    assert_eq!(opt_level, "3");
    assert!(!debug_assertions);
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
}
