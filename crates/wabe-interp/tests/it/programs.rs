//! The interpreter runs every program of `tests/programs/` and must print what its
//! `// expect:` lines say (or stop where its `// trap:` line says): the first proof that the
//! interpreter and the compiled code read the IR the same way.

use std::path::PathBuf;
use wabe_interp::{run, Limits, PrintHost, Stop};

/// Runs `(file, function)` the interpreter does not take as written, with the reason. Keep
/// this short: each is a disagreement to settle in docs/language.md.
const SKIP: &[(&str, &str, &str)] = &[];

struct Case {
    line: usize,
    name: String,
    args: Vec<String>,
    expect: Vec<String>,
    trap: Option<String>,
}

fn cases(src: &str) -> Vec<Case> {
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
            if let Some(c) = out.last_mut() {
                c.expect.push(e.trim().to_string());
            }
        } else if let Some(t) = l.strip_prefix("// trap:") {
            if let Some(c) = out.last_mut() {
                c.trap = Some(t.trim().to_string());
            }
        }
    }
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn programs_match_their_expectations() {
    let dir = root().join("tests/programs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "air"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    let mut ran = 0;
    for path in &files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let src = std::fs::read_to_string(path).unwrap();
        let mut module = match wabe_air::parse(&src) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        if let Err(e) = wabe_air::verify(&mut module) {
            failures.push(format!("{file}: {e}"));
            continue;
        }
        for c in cases(&src) {
            if SKIP.iter().any(|(f, n, _)| *f == file && *n == c.name) {
                continue;
            }
            ran += 1;
            let mut host = PrintHost::default();
            let got = run(&module, &mut host, &c.name, &c.args, Limits::default());
            let ok = match (&got, &c.trap) {
                (Ok(r), None) => {
                    let lines: Vec<String> =
                        host.printed.iter().chain(&r.values).cloned().collect();
                    lines == c.expect
                }
                (Err(Stop::Trap(_) | Stop::Illegal(_)), Some(_)) => host.printed == c.expect,
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{file}:{}: run {} {:?}\n  expected {:?}{}\n  got {:?} printing {:?}",
                    c.line,
                    c.name,
                    c.args,
                    c.expect,
                    c.trap
                        .as_ref()
                        .map(|t| format!(" then trap `{t}`"))
                        .unwrap_or_default(),
                    got.map(|r| r.values),
                    host.printed
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

/// Case ranges on an integer wider than 128 bits (the compiler does not lower this yet, so it
/// is not in `tests/programs/`).
#[test]
fn switch_ranges_on_wide_integers() {
    let src = "
var w: [5]i190 = .{ -3, 8, 9, 34028236692093846346337460743176821145600, -34028236692093846346337460743176821145600 }
export fn classify(%i: u32) u32 {
  %iu = intcast usize, %i
  %x = ptr_elem_val @w, %iu
  switch_br %x {
    -5...7, 9 => {
      ret 1:u32
    }
    34028236692093846346337460743176821145600...34028236692093846346337460743176821145600000 => {
      ret 2:u32
    }
    -34028236692093846346337460743176821145600...-34028236692093846346337460743176821145600 => {
      ret 3:u32
    }
    else => {
      ret 0:u32
    }
  }
}
";
    let mut module = wabe_air::parse(src).unwrap();
    wabe_air::verify(&mut module).unwrap();
    for (i, want) in ["1", "0", "1", "2", "3"].iter().enumerate() {
        let mut host = PrintHost::default();
        let r = run(
            &module,
            &mut host,
            "classify",
            &[i.to_string()],
            Limits::default(),
        )
        .unwrap();
        assert_eq!(r.values, vec![want.to_string()], "element {i}");
    }
}
