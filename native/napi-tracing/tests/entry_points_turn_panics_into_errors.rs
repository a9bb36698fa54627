//! A panic inside an exported entry point never crosses into Node: it comes
//! back as an error that names the entry point (`api::guarded`, which every
//! function `export_tracing_api!` adds runs through).

use napi::Status;
use napi_tracing::api::guarded;

#[test]
fn a_panic_becomes_an_error_naming_the_entry_point() {
    let err =
        guarded::<()>("napiTracingFlush", || panic!("the sums are inconsistent")).unwrap_err();
    assert_eq!(err.status, Status::GenericFailure);
    assert!(
        err.reason
            .starts_with("napiTracingFlush panicked in napi-tracing: the sums are inconsistent"),
        "{}",
        err.reason
    );
    let formatted = guarded::<()>("napiTracingStart", || panic!("{} layers", 3)).unwrap_err();
    assert!(
        formatted
            .reason
            .contains("napiTracingStart panicked in napi-tracing: 3 layers"),
        "{}",
        formatted.reason
    );
}

#[test]
fn what_does_not_panic_passes_through() {
    assert_eq!(guarded("napiTracingProtocol", || Ok(6)).unwrap(), 6);
    let err = guarded::<()>("napiTracingStart", || {
        Err(napi::Error::new(Status::InvalidArg, "bad filter"))
    })
    .unwrap_err();
    assert_eq!(
        (err.status, err.reason.as_str()),
        (Status::InvalidArg, "bad filter")
    );
}
