//! Every file in `tests/errors/` must fail to compile with the error its `// error:` line gives
//! (the first line of the rendered report); the whole report is snapshotted.

use crate::root;

#[test]
fn errors() {
    let dir = root().join("tests/errors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "air"));
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for path in &files {
        let src = std::fs::read_to_string(path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let want = crate::directives(&src, "error");
        let want = want
            .first()
            .unwrap_or_else(|| panic!("{file} has no `// error:` line"));
        match wabe::compile_str(&src, &wabe::Options::default()) {
            Ok(_) => failures.push(format!("{file}: compiled, expected `{want}`")),
            Err(e) => {
                let report = wabe::diag::render_error(&file, &src, &e);
                let first = report.lines().next().unwrap_or_default();
                if !first.ends_with(want) {
                    failures.push(format!("{file}: expected `{want}`, got:\n{report}"));
                }
                let name = file.trim_end_matches(".air").to_string();
                insta::with_settings!({ snapshot_suffix => name }, {
                    insta::assert_snapshot!("error", report);
                });
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
