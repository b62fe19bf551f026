//! Runs every program of `tests/programs/`: each `// run: NAME ARGS` is followed by the
//! `// expect: LINE`s it must print (printed output, then results) or a `// trap: REASON`.

use crate::root;
use wabe::run::{invoke, RunError};

/// One `// run:` case of a program file.
#[derive(Debug)]
pub(crate) struct Case {
    pub(crate) line: usize,
    pub(crate) name: String,
    pub(crate) args: Vec<String>,
    pub(crate) expect: Vec<String>,
    pub(crate) trap: Option<String>,
}

/// The `// run:` cases of a program, with their `// expect:` lines and `// trap:`.
pub(crate) fn cases(src: &str) -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    for (i, l) in src.lines().enumerate() {
        let l = l.trim();
        if let Some(r) = l.strip_prefix("// run:") {
            let mut words = r.split_whitespace().map(String::from);
            let name = words.next().unwrap_or_default();
            out.push(Case {
                line: i + 1,
                name,
                args: words.collect(),
                expect: vec![],
                trap: None,
            });
        } else if let Some(e) = l.strip_prefix("// expect:") {
            out.last_mut()
                .expect("expect before run")
                .expect
                .push(e.trim().to_string());
        } else if let Some(t) = l.strip_prefix("// trap:") {
            out.last_mut().expect("trap before run").trap = Some(t.trim().to_string());
        }
    }
    out
}

#[test]
fn programs() {
    let dir = root().join("tests/programs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "air"));
    files.sort();
    assert!(
        files.len() >= 25,
        "expected at least 25 programs, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    let mut ran = 0;
    for path in &files {
        let src = std::fs::read_to_string(path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        // `// features: +tail-call,-sign-ext` selects target features; the module must then
        // validate without the features turned off.
        let mut options = wabe::Options::default();
        for f in crate::directives(&src, "features") {
            options
                .codegen
                .apply_features(f)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
        }
        let out = match wabe::compile_str(&src, &options) {
            Ok(o) => o,
            Err(e) => {
                failures.push(wabe::diag::render_error(&file, &src, &e));
                continue;
            }
        };
        validate_with(&out.wasm, &options.codegen);
        let cs = cases(&src);
        assert!(!cs.is_empty(), "{file} has no `// run:` line");
        for c in cs {
            ran += 1;
            let got = invoke(&out.module, &out.wasm, &c.name, &c.args);
            let ok = match (&got, &c.trap) {
                (Ok(r), None) => {
                    let lines: Vec<String> = r.printed.iter().chain(&r.values).cloned().collect();
                    lines == c.expect
                }
                (Err(RunError::Trap { reason, printed }), Some(t)) => {
                    reason.contains(t.as_str()) && *printed == c.expect
                }
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{file}:{}: run {} {:?}\n  expected {:?}{}\n  got {:?}",
                    c.line,
                    c.name,
                    c.args,
                    c.expect,
                    c.trap
                        .as_ref()
                        .map(|t| format!(" then trap `{t}`"))
                        .unwrap_or_default(),
                    got
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s) in {ran} runs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Validates a module with exactly the features the code generator was allowed to use.
fn validate_with(wasm: &[u8], c: &wabe::CodegenOptions) {
    use wasmparser::WasmFeatures as F;
    let mut features = F::default()
        | F::MEMORY64
        | F::TAIL_CALL
        | F::BULK_MEMORY
        | F::SIGN_EXTENSION
        | F::SATURATING_FLOAT_TO_INT;
    for (on, f) in [
        (c.tail_call, F::TAIL_CALL),
        (c.bulk_memory, F::BULK_MEMORY),
        (c.sign_ext, F::SIGN_EXTENSION),
        (c.nontrapping_fptoint, F::SATURATING_FLOAT_TO_INT),
    ] {
        if !on {
            features.remove(f);
        }
    }
    let mut v = wasmparser::Validator::new_with_features(features);
    if let Err(e) = v.validate_all(wasm) {
        panic!("invalid module: {e}");
    }
}

/// `all_instructions.air` uses every instruction tag at least once (and runs, above).
#[test]
fn all_instructions_covered() {
    let src = std::fs::read_to_string(root().join("tests/programs/all_instructions.air")).unwrap();
    let mut module = wabe_air::parse(&src).unwrap();
    wabe_air::verify(&mut module).unwrap();
    let mut seen = std::collections::HashSet::new();
    for d in &module.decls {
        if let wabe_air::DeclKind::Fn(f) = &d.kind {
            seen.extend(f.air.tags.iter().copied());
        }
    }
    let missing: Vec<&str> = wabe_air::Tag::ALL
        .iter()
        .filter(|t| !seen.contains(t))
        .map(|t| t.name())
        .collect();
    assert!(
        missing.is_empty(),
        "all_instructions.air does not use: {missing:?}"
    );
}
