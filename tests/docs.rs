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
