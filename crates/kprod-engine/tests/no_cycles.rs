//! No module of the engine imports one that imports it back, directly or
//! through others: the import graph is read from the sources themselves
//! (`use crate::`, `use super::`, `crate::x::` paths), tests left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module name (the file's stem, "crate" for lib.rs) to its source, with
/// `#[cfg(test)]` modules cut off: a test may use what it likes.
fn sources() -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("the engine's src/") {
        let path = entry.expect("a directory entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("a name");
        let name = if stem == "lib" { "crate" } else { stem };
        let text = std::fs::read_to_string(&path).expect("a readable source");
        let text = match text.find("#[cfg(test)]") {
            Some(at) => text[..at].to_string(),
            None => text,
        };
        out.insert(name.to_string(), text);
    }
    out
}

/// The modules `text` (module `from`) names through `crate::` or `super::`.
/// A path to an item of the root itself is an edge to "crate"; the root's
/// own `mod` lines are not imports.
fn imports(from: &str, text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    for prefix in ["crate::", "super::"] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            // `kprod_engine::crate::` is no path; `self::super::` is rare.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let mut names = Vec::new();
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for part in group[..end].split(',') {
                    names.push(part.trim().split("::").next().unwrap_or("").to_string());
                }
            } else {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                names.push(rest[..end].to_string());
            }
            for name in names {
                let to = if modules.contains(&name) {
                    name
                } else {
                    "crate".to_string()
                };
                if to != from {
                    out.insert(to);
                }
            }
        }
    }
    out
}

/// A path from `from` back to itself through `graph`, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        goal: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == goal {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, goal, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![from.to_string()];
    walk(graph, from, from, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let sources = sources();
    let modules: BTreeSet<String> = sources.keys().filter(|m| *m != "crate").cloned().collect();
    let graph: BTreeMap<String, BTreeSet<String>> = sources
        .iter()
        .map(|(m, text)| (m.clone(), imports(m, text, &modules)))
        .collect();
    assert!(graph.len() > 10, "the engine's modules were found");
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|m| cycle(&graph, m))
        .map(|path| path.join(" -> "))
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_reader_finds_a_cycle_it_is_shown() {
    let modules: BTreeSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", "use crate::b::Thing;"),
        ("b", "fn f() { crate::c::g() }"),
        ("c", "use super::{a, b::X};"),
    ]
    .iter()
    .map(|(m, t)| (m.to_string(), imports(m, t, &modules)))
    .collect();
    assert_eq!(
        cycle(&graph, "a"),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let acyclic: BTreeMap<String, BTreeSet<String>> = [
        ("a", "use crate::b::Thing; // crate::c::not_an_import"),
        ("b", ""),
    ]
    .iter()
    .map(|(m, t)| (m.to_string(), imports(m, t, &modules)))
    .collect();
    assert_eq!(cycle(&acyclic, "a"), None);
}
