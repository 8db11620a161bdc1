//! The README stays true to the code it describes.

#[test]
fn the_readme_lists_every_key_binding() {
    let readme = include_str!("../README.md");
    for b in kprod::ui::keymap::BINDINGS {
        let row = format!("| `{}` | {} |", kprod::ui::keymap::label(b), b.help);
        assert!(readme.contains(&row), "README lacks the row {row}");
    }
}
