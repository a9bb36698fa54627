//! A session's filter: tracing-subscriber's `EnvFilter`, decided once per
//! callsite wherever its directives allow it.
//!
//! Directives that name only targets and levels (`info,my_addon=trace`)
//! decide per callsite, so the decision is made when the callsite is
//! registered and cached: no directive is evaluated per span. Directives
//! that follow spans or match field values (`my_addon[parse{file}]=trace`)
//! decide per span; a session with them runs on tracing-subscriber's
//! Registry, where `EnvFilter` follows spans as a layer.

use std::str::FromStr;
use std::sync::{Mutex, RwLock};

use rustc_hash::FxHashMap;
use tracing_core::subscriber::Interest;
use tracing_core::Metadata;
use tracing_subscriber::filter::Directive;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::dispatch::calibration;
use crate::sync::{lock, read, write};
use crate::trace::json::callsite_key;

pub(crate) struct Filter {
    env: EnvFilter,
    /// Whether some directive decides per span (see the module docs).
    pub(crate) dynamic: bool,
    /// Each callsite's decision, once made.
    decided: RwLock<FxHashMap<usize, bool>>,
    /// Span callsites the filter turned off, as `LEVEL target::name` (the
    /// first [`HIDDEN`]): what a run that shows no span was missing.
    hidden: Mutex<Vec<String>>,
}

/// Span callsites the filter turned off that are kept, at most.
const HIDDEN: usize = 64;

impl Filter {
    /// Parses EnvFilter directives strictly, quoting the first bad one.
    pub(crate) fn parse(spec: &str) -> Result<Filter, String> {
        for directive in spec.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            if let Err(e) = Directive::from_str(directive) {
                return Err(format!(
                    "invalid filter directive {directive:?} in {spec:?}: {e}. Use \
                     tracing-subscriber's EnvFilter syntax, e.g. \"info\" or \
                     \"warn,my_addon=trace\""
                ));
            }
        }
        let env = EnvFilter::builder().parse(spec).map_err(|e| {
            format!("invalid filter {spec:?}: {e}. Use tracing-subscriber's EnvFilter syntax")
        })?;
        Ok(Filter {
            env,
            dynamic: spec.contains('['),
            decided: RwLock::new(FxHashMap::default()),
            hidden: Mutex::new(Vec::new()),
        })
    }

    /// What this filter wants of a callsite: `always` or `never` for
    /// directives that decide per callsite, `sometimes` when it must be
    /// asked per span.
    pub(crate) fn interest(&self, meta: &'static Metadata<'static>) -> Interest {
        // The measurement of what a span costs runs whatever the directives.
        let interest = if calibration::is(meta) {
            Interest::always()
        } else {
            <EnvFilter as Layer<Registry>>::register_callsite(&self.env, meta)
        };
        if !self.dynamic {
            let first = write(&self.decided)
                .insert(callsite_key(meta), interest.is_always())
                .is_none();
            if first && interest.is_never() && meta.is_span() {
                let mut hidden = lock(&self.hidden);
                if hidden.len() < HIDDEN {
                    hidden.push(format!(
                        "{} {}::{}",
                        meta.level(),
                        meta.target(),
                        meta.name()
                    ));
                }
            }
        }
        interest
    }

    /// Span callsites met that the filter turned off (see `hidden`).
    pub(crate) fn hidden(&self) -> Vec<String> {
        lock(&self.hidden).clone()
    }

    /// Whether the filter lets spans and events of `meta` through, for a
    /// filter that decides per callsite (a dynamic one answers for its
    /// callsite alone: its per-span decision is the Registry path's).
    pub(crate) fn enables(&self, meta: &'static Metadata<'static>) -> bool {
        if let Some(&decided) = read(&self.decided).get(&callsite_key(meta)) {
            return decided;
        }
        self.interest(meta).is_always()
    }

    /// The filter itself, for a session on the Registry path.
    pub(crate) fn env(&self) -> &EnvFilter {
        &self.env
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::meta;

    #[test]
    fn bad_directive_is_quoted() {
        let err = Filter::parse("info,my_addon=loud").err().unwrap();
        assert!(err.contains("\"my_addon=loud\""), "{err}");
        assert!(err.contains("EnvFilter syntax"), "{err}");
    }

    #[test]
    fn span_directives_decide_per_span_the_others_per_callsite() {
        let dynamic = Filter::parse("warn,my_addon[span{n=1}]=trace").unwrap();
        assert!(dynamic.dynamic);
        let static_only = Filter::parse("t=info").unwrap();
        assert!(!static_only.dynamic);
        assert!(static_only.interest(meta()).is_always());
        assert!(static_only.enables(meta()));
        let off = Filter::parse("t=warn").unwrap();
        assert!(off.interest(meta()).is_never());
        assert!(!off.enables(meta()));
        // Asked again (interest caches are rebuilt), it is named once.
        assert!(off.interest(meta()).is_never());
        assert_eq!(off.hidden(), ["INFO t::span"]);
        assert!(static_only.hidden().is_empty());
    }
}
