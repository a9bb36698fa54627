//! `napi_tracing::wrap()` leaves the addon's own output as it is: each way
//! an addon filters, the same workload prints the same bytes alone and
//! wrapped (no session open: this process has no other dispatcher, as an
//! addon run without the plugin has none). wrap.rs's unit tests show it the
//! same again with a session tracing every span.

use std::io;
use std::sync::{Arc, Mutex};

use tracing::Level;
use tracing_core::dispatcher::{self, Dispatch};
use tracing_core::Subscriber;
use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

include!("support/wrap_workload.rs");

fn print(subscriber: impl Subscriber + Send + Sync + 'static) {
    let dispatch = Dispatch::new(subscriber);
    dispatcher::with_default(&dispatch, workload);
}

#[test]
fn the_addons_output_is_the_same_wrapped_as_alone() {
    for shape in SHAPES {
        let (alone, wrapped) = (Output::default(), Output::default());
        print(addons_subscriber(shape, &alone));
        print(napi_tracing::wrap(addons_subscriber(shape, &wrapped)));
        let alone = alone.text();
        assert!(alone.contains("WARN"), "{shape}: printed nothing:\n{alone}");
        assert_eq!(wrapped.text(), alone, "{shape}");
    }
}
