//! The crate's modules import one way, bottom to top: leaves, what a span
//! carries and the trace writer, the layers, then what composes them. Read from the `crate::` and
//! `super::` paths in each source file, so a new import that goes up (a
//! cycle in the making) fails here with the file and the path.

use std::fs;
use std::path::{Path, PathBuf};

/// Each module and its rank: a module may name only modules of a lower
/// rank, or modules inside itself. The layers share a rank: none may name
/// another.
const RANKS: &[(&str, u32)] = &[
    ("sync", 0),
    ("clock", 1),
    ("callsites", 1),
    ("calibration", 1),
    ("caller", 1),
    ("thread_info", 1),
    ("tracks", 1),
    ("values", 1),
    ("record", 2),
    ("entered", 2),
    ("crash", 2),
    ("trace", 3),
    ("queue", 3),
    ("collection", 4),
    ("filter", 4),
    ("span", 5),
    ("layers", 6),
    ("layers::callback", 7),
    ("layers::fmt", 7),
    ("layers::otlp", 7),
    ("layers::trace", 7),
    ("config", 8),
    ("extension", 8),
    ("session", 9),
    ("sessions", 10),
    ("registry_path", 11),
    ("router", 12),
    ("core", 13),
    ("layer", 14),
    ("wrap", 15),
    ("install", 16),
    ("carry", 17),
    ("js_thread", 17),
    ("async_runtime", 18),
    ("api", 19),
    ("macros", 20),
];

/// The ranked module a path belongs to: the longest entry it starts with.
fn ranked(path: &str) -> Option<(&'static str, u32)> {
    RANKS
        .iter()
        .filter(|(m, _)| path == *m || path.starts_with(&format!("{m}::")))
        .max_by_key(|(m, _)| m.len())
        .copied()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `trace/mod.rs` → `trace`; `trace/writer.rs` → `trace::writer`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let parts = match parts.last().map(String::as_str) {
        Some("mod") | Some("lib") => &parts[..parts.len() - 1],
        _ => &parts[..],
    };
    parts.join("::")
}

/// Module paths a line of code names: `crate::a::b`, `$crate::a`, `super::a` (resolved).
fn named(line: &str, module: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut out = Vec::new();
    let ident = |s: &str| -> String {
        s.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or("")
            .trim_end_matches(':')
            .to_owned()
    };
    for (at, _) in code.match_indices("crate::") {
        let path = ident(&code[at + "crate::".len()..]);
        if !path.is_empty() {
            out.push(path);
        }
    }
    for (at, _) in code.match_indices("super::") {
        // In `a/b/mod.rs` (module a::b) `super` is `a`; in `a/b/c.rs` (a::b::c) it is `a::b`.
        let mut parent: Vec<&str> = module.split("::").filter(|p| !p.is_empty()).collect();
        parent.pop();
        let rest = ident(&code[at + "super::".len()..]);
        let mut path = parent.join("::");
        if !rest.is_empty() && !rest.starts_with('{') {
            path = if path.is_empty() {
                rest
            } else {
                format!("{path}::{rest}")
            };
        }
        out.push(path);
    }
    out
}

#[test]
fn every_module_imports_only_modules_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut violations = Vec::new();
    let mut seen = 0;
    for file in &files {
        let module = module_of(&src, file);
        if module.is_empty() || module == "test_support" {
            continue; // lib.rs declares the modules; unit tests' callsites
        }
        let (own, rank) =
            ranked(&module).unwrap_or_else(|| panic!("{module} has no rank in RANKS"));
        let text = fs::read_to_string(file).unwrap();
        // Unit tests may reach anywhere.
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        for (n, line) in code.lines().enumerate() {
            for path in named(line, &module) {
                let Some((target, target_rank)) = ranked(&path) else {
                    continue;
                };
                seen += 1;
                let inside = target == own || path.starts_with(&format!("{own}::"));
                if !inside && target_rank >= rank {
                    violations.push(format!(
                        "{}:{}: {module} (rank {rank}) names {path} (rank {target_rank})",
                        file.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        seen > 50,
        "only {seen} module paths found: the scan is broken"
    );
    assert!(
        violations.is_empty(),
        "imports that go up:\n{}",
        violations.join("\n")
    );
}
