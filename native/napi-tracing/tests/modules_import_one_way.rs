//! The crate's modules import one way, bottom to top: leaves, what a span
//! carries and the trace writer, the layers, then what composes them. Read
//! from every `crate::`, `$crate::` and `super::` path in each source file,
//! each path of a grouped import (`use crate::{a, b::{c, d}}`) included, so
//! a new import that goes up (a cycle in the making) fails here with the
//! file, the line and the path.

use std::fs;
use std::path::{Path, PathBuf};

/// Each module and its rank: a module may name only modules of a lower
/// rank, or modules inside itself. The layers share a rank: none may name
/// another. Folders come in one order, each above the ones before it:
/// `protocol/`, `trace/`, `collect/`, `dispatch/`, `js/`.
const RANKS: &[(&str, u32)] = &[
    ("sync", 0),
    ("clock", 1),
    ("callsites", 1),
    ("thread_info", 1),
    // What this crate and JavaScript agree on.
    ("protocol", 2),
    // Trace entries and their writer.
    ("trace", 3),
    ("dispatch::layers::outbox", 3),
    // The per-thread sums and trace batches of a session.
    ("collect", 4),
    // What runs on the instrumented thread.
    ("dispatch", 5),
    ("dispatch::call_context", 5),
    ("dispatch::calibration", 5),
    ("dispatch::values", 5),
    ("dispatch::entered", 6),
    ("dispatch::filter", 6),
    ("dispatch::span", 7),
    ("dispatch::layers", 8),
    ("dispatch::layers::callback", 9),
    ("dispatch::layers::fmt", 9),
    ("dispatch::layers::otlp", 9),
    ("dispatch::layers::trace", 9),
    ("dispatch::session", 10),
    ("dispatch::open_sessions", 11),
    ("dispatch::registry_path", 12),
    ("dispatch::router", 13),
    ("dispatch::subscribers", 14),
    ("dispatch::subscribers::own", 14),
    ("dispatch::subscribers::as_layer", 15),
    ("dispatch::subscribers::wrap", 16),
    ("dispatch::install", 17),
    ("dispatch::caller", 18),
    // For crates that add a layer.
    ("extension", 19),
    // The seam to JavaScript.
    ("js", 19),
    ("js::crash", 19),
    ("js::config", 20),
    ("js::thread", 20),
    ("js::async_runtime", 21),
    ("js::api", 22),
    ("js::macros", 23),
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

/// The code of a source file: comments blanked out (line breaks kept, so
/// positions still give line numbers), and the unit tests cut off (they
/// may reach anywhere).
fn code_of(text: &str) -> String {
    let cut = [
        "#[cfg(test)]\nmod tests",
        "#[cfg(test)]\npub(crate) mod tests",
    ]
    .iter()
    .filter_map(|tests| text.find(tests))
    .min()
    .unwrap_or(text.len());
    let text = &text[..cut];
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads a path segment (an identifier, `self` or `*`) at `at`, after
/// whitespace; returns it and where it ends.
fn segment(code: &str, at: usize) -> Option<(&str, usize)> {
    let start = at + code[at..].len() - code[at..].trim_start().len();
    if code[start..].starts_with('*') {
        return Some(("*", start + 1));
    }
    let len = code[start..]
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(code.len() - start);
    (len > 0).then(|| (&code[start..start + len], start + len))
}

/// Skips whitespace from `at`; the position of the next character.
fn skip_space(code: &str, at: usize) -> usize {
    at + code[at..].len() - code[at..].trim_start().len()
}

/// The paths a use tree (or a path in code) starting at `at` names, each
/// with `prefix` in front: `a::b`, `a::{b, c::d}`, `{a, b::{c, self}}`,
/// `a as b`, `a::*`, each with where its last segment is. Returns them
/// and where the tree ends.
fn tree(code: &str, at: usize, prefix: &[String]) -> (Vec<(Vec<String>, usize)>, usize) {
    let mut path = prefix.to_vec();
    let mut last = at;
    let mut at = skip_space(code, at);
    loop {
        if code[at..].starts_with('{') {
            let mut out = Vec::new();
            at += 1;
            loop {
                at = skip_space(code, at);
                if code[at..].starts_with('}') {
                    return (out, at + 1);
                }
                let (paths, end) = tree(code, at, &path);
                out.extend(paths);
                at = skip_space(code, end);
                if code[at..].starts_with(',') {
                    at += 1;
                } else {
                    // `}` ends the group; anything else is not a use tree: what was read stands.
                    return (out, at + usize::from(code[at..].starts_with('}')));
                }
            }
        }
        let Some((name, end)) = segment(code, at) else {
            return (vec![(path, last)], at);
        };
        last = end - name.len();
        if name != "self" && name != "*" {
            path.push(name.to_owned());
        }
        at = end;
        let next = skip_space(code, at);
        if code[next..].starts_with("::") {
            at = next + 2;
            continue;
        }
        // `a as b`: the alias names nothing more.
        if let Some(("as", end)) = segment(code, next) {
            at = segment(code, end).map_or(end, |(_, end)| end);
        }
        return (vec![(path, last)], at);
    }
}

/// Module paths a file's code names, each with its line: `crate::a::b`,
/// `$crate::a`, `super::a` (resolved against `module`), and every path of
/// a grouped import (`use crate::{a, b::{c, d}}`), over any number of lines.
fn named(code: &str, module: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let line_at = |at: usize| code[..at].matches('\n').count() + 1;
    for (at, _) in code.match_indices("crate::") {
        // Not a longer name ending in `crate` (`$crate` is this crate too).
        if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let (paths, _) = tree(code, at + "crate::".len(), &[]);
        for (path, at) in paths.into_iter().filter(|(p, _)| !p.is_empty()) {
            out.push((line_at(at), path.join("::")));
        }
    }
    for (at, _) in code.match_indices("super::") {
        if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // the second `super` of `super::super::`, read with the first
        }
        // In `a/b/mod.rs` (module a::b) `super` is `a`; in `a/b/c.rs` (a::b::c) it is `a::b`.
        let mut parent: Vec<String> = module
            .split("::")
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        parent.pop();
        let mut rest = at + "super::".len();
        while code[rest..].starts_with("super::") {
            parent.pop();
            rest += "super::".len();
        }
        let (paths, _) = tree(code, rest, &parent);
        for (path, at) in paths.into_iter().filter(|(p, _)| !p.is_empty()) {
            out.push((line_at(at), path.join("::")));
        }
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
        let code = code_of(&fs::read_to_string(file).unwrap());
        for (line, path) in named(&code, &module) {
            let Some((target, target_rank)) = ranked(&path) else {
                continue;
            };
            seen += 1;
            let inside = target == own || path.starts_with(&format!("{own}::"));
            if !inside && target_rank >= rank {
                violations.push(format!(
                    "{}:{line}: {module} (rank {rank}) names {path} (rank {target_rank})",
                    file.display(),
                ));
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

#[test]
fn the_scan_reads_every_form_of_path() {
    let code = code_of(
        "use crate::a::B;\n\
         use crate::{c, d::{e, f::G}, h as i};\n\
         use crate::{\n    j,\n    k::{self, L},\n};\n\
         use super::{m, n::O};\n\
         $crate::p::q!();\n\
         let x = crate::r::s(1); // crate::not_this\n\
         use super::super::t;\n",
    );
    let mut paths: Vec<String> = named(&code, "x::y::z")
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "a::B",
            "c",
            "d::e",
            "d::f::G",
            "h",
            "j",
            "k",
            "k::L",
            "p::q",
            "r::s",
            "x::t",
            "x::y::m",
            "x::y::n::O"
        ]
    );
    // Each path on its own line, in a group over several lines too.
    let line_of = |path: &str| {
        named(&code, "x::y::z")
            .into_iter()
            .find(|(_, p)| p == path)
            .unwrap()
            .0
    };
    assert_eq!([line_of("j"), line_of("k::L"), line_of("r::s")], [4, 5, 9]);
}
