//! The README stays true to the code it describes.

#[test]
fn the_readme_lists_every_key_binding() {
    let readme = include_str!("../README.md");
    for b in kprod::ui::keymap::BINDINGS {
        let row = format!("| `{}` | {} |", kprod::ui::keymap::label(b), b.help);
        assert!(readme.contains(&row), "README lacks the row {row}");
    }
}

#[test]
fn every_link_between_the_documents_resolves() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut documents = vec![
        root.join("README.md"),
        root.join("ARCHITECTURE.md"),
        root.join("CHANGELOG.md"),
    ];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            documents.push(path);
        }
    }
    let mut broken = Vec::new();
    let mut links = 0;
    for doc in &documents {
        let text = std::fs::read_to_string(doc).unwrap();
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = &rest[..end];
            if target.contains("://") || target.starts_with('#') || target.contains(' ') {
                continue;
            }
            links += 1;
            let file = target.split('#').next().unwrap();
            let resolved = doc.parent().unwrap().join(file);
            let from_root = resolved.canonicalize().ok().and_then(|p| {
                p.strip_prefix(root.canonicalize().unwrap())
                    .ok()
                    .map(|p| p.to_owned())
            });
            if from_root.is_none() {
                broken.push(format!("{}: {target}", doc.display()));
            }
        }
    }
    assert!(
        links > 10,
        "only {links} links found: is the pattern right?"
    );
    assert!(
        broken.is_empty(),
        "links to no file:\n{}",
        broken.join("\n")
    );
}

/// The events table in docs/produce.md is the one `kprod::output` makes
/// from its types; `KPROD_WRITE_DOCS=1 cargo test --test docs` writes it.
#[test]
fn the_produce_events_reference_is_generated_from_the_event_types() {
    const BEGIN: &str = "<!-- events: generated from src/output.rs, do not edit -->\n";
    const END: &str = "<!-- end of events -->";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/produce.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc
        .find(BEGIN)
        .expect("docs/produce.md lacks the events marker")
        + BEGIN.len();
    let end = start
        + doc[start..]
            .find(END)
            .expect("docs/produce.md lacks the end marker");
    let table = kprod::output::reference();
    if doc[start..end] != table {
        if std::env::var_os("KPROD_WRITE_DOCS").is_some() {
            let written = format!("{}{table}{}", &doc[..start], &doc[end..]);
            std::fs::write(&path, written).unwrap();
        } else {
            panic!(
                "docs/produce.md's events table is out of date; run \
                 KPROD_WRITE_DOCS=1 cargo test --test docs to write it. It should read:\n{table}"
            );
        }
    }
}
