//! The `wabe` command as a user runs it: outputs and exit codes.

use crate::root;
use std::process::Command;

fn wabe(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wabe"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_prints_results() {
    let (code, out, err) = wabe(&["run", "examples/fib.air", "--invoke", "fib", "20"]);
    assert_eq!((code, out.as_str()), (0, "6765\n"), "stderr: {err}");
}

#[test]
fn run_trap_exits_1() {
    let (code, out, err) = wabe(&[
        "run",
        "tests/programs/div_by_zero.air",
        "--invoke",
        "div",
        "1",
        "0",
    ]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(err, "trap: integer divide by zero\n");
}

#[test]
fn bad_arguments_exit_2() {
    let (code, _, err) = wabe(&["run", "examples/fib.air", "--invoke", "fib", "-1"]);
    assert_eq!(code, 2);
    assert!(err.contains("bad argument `-1` for type `u32`"), "{err}");
    let (code, _, err) = wabe(&["run", "examples/fib.air", "--invoke", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
    let (code, _, _) = wabe(&["frobnicate"]);
    assert_eq!(code, 2);
    let (code, _, err) = wabe(&["check", "does/not/exist.air"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn errors_have_locations_and_exit_2() {
    let (code, _, err) = wabe(&["check", "tests/errors/undefined_value.air"]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("tests/errors/undefined_value.air:"),
        "{err}"
    );
    assert!(err.contains('^'), "{err}");
}

#[test]
fn check_accepts_a_good_program() {
    let (code, out, err) = wabe(&["check", "examples/fib.air"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}

#[test]
fn build_writes_wasm_and_wat() {
    let dir = std::env::temp_dir().join(format!("wabe-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = dir.join("fib.wasm");
    let (code, _, err) = wabe(&["build", "examples/fib.air", "-o", wasm.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&wasm).unwrap();
    crate::validate(&bytes);
    let wat = dir.join("fib.wat");
    let (code, _, err) = wabe(&[
        "build",
        "examples/fib.air",
        "--emit",
        "wat",
        "-o",
        wat.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&wat).unwrap();
    assert!(text.contains("(export \"fib\""), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------------------------
// Objects and archives through the command (issue #7): `build --emit obj`, `link`, `build`
// with objects and archives, `--export-all`, `--no-gc-sections`, malformed input.

mod objects {
    use super::wabe;
    use crate::interop::{check_cases, compile};
    use crate::root;
    use crate::zig::{cc, scratch, zig_cmd};
    use std::path::Path;

    fn s(p: &Path) -> &str {
        p.to_str().unwrap()
    }

    /// Runs `wabe ARGS`, which must succeed, and returns the module it wrote to `out`.
    fn ok(args: &[&str], out: &Path) -> Vec<u8> {
        let _ = std::fs::remove_file(out);
        let (code, stdout, err) = wabe(args);
        assert_eq!(
            (code, stdout.as_str(), err.as_str()),
            (0, "", ""),
            "wabe {args:?}"
        );
        std::fs::read(out).unwrap()
    }

    /// The export names of a module.
    fn exports(wasm: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for p in wasmparser::Parser::new(0).parse_all(wasm) {
            if let wasmparser::Payload::ExportSection(r) = p.unwrap() {
                out.extend(r.into_iter().map(|e| e.unwrap().name.to_string()));
            }
        }
        out
    }

    /// The function names (name section) of a module.
    fn functions(wasm: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for p in wasmparser::Parser::new(0).parse_all(wasm) {
            if let wasmparser::Payload::CustomSection(r) = p.unwrap() {
                if let wasmparser::KnownCustom::Name(n) = r.as_known() {
                    for n in n {
                        if let wasmparser::Name::Function(m) = n.unwrap() {
                            out.extend(m.into_iter().map(|x| x.unwrap().name.to_string()));
                        }
                    }
                }
            }
        }
        out
    }

    /// `tests/interop/calls.air` with `calls.c`: as an object linked by `wabe link`, built
    /// with the C object, and built with an archive holding it; each runs every case of the
    /// file, and the three modules are the same.
    #[test]
    fn build_obj_link_and_build_with_objects() {
        let air = root().join("tests/interop/calls.air");
        let src = std::fs::read_to_string(&air).unwrap();
        let (module, _) = compile(&src, "calls.air");
        let c_obj = cc(&root().join("tests/interop/calls.c"), "wasm32", &[]);
        let dir = scratch().join("cli-objects");
        std::fs::create_dir_all(&dir).unwrap();

        let obj = dir.join("calls.o");
        let bytes = ok(&["build", s(&air), "--emit", "obj", "-o", s(&obj)], &obj);
        assert_eq!(&bytes[..4], b"\0asm");

        let linked = dir.join("linked.wasm");
        let by_link = ok(&["link", s(&obj), s(&c_obj), "-o", s(&linked)], &linked);
        crate::validate(&by_link);
        let mut failures = check_cases("calls.air", "wabe link", &module, &by_link, &src);

        let built = dir.join("built.wasm");
        let by_build = ok(&["build", s(&air), s(&c_obj), "-o", s(&built)], &built);
        failures.extend(check_cases(
            "calls.air",
            "wabe build x.air c.o",
            &module,
            &by_build,
            &src,
        ));

        let lib = dir.join("libcalls.a");
        let _ = std::fs::remove_file(&lib);
        let mut ar = zig_cmd("ar");
        ar.arg("rcs").arg(&lib).arg(&c_obj);
        crate::zig::run(ar, "zig ar");
        let archived = dir.join("archived.wasm");
        let by_archive = ok(&["build", s(&air), s(&lib), "-o", s(&archived)], &archived);
        failures.extend(check_cases(
            "calls.air",
            "wabe build x.air lib.a",
            &module,
            &by_archive,
            &src,
        ));
        assert!(failures.is_empty(), "{}", failures.join("\n"));

        // One program, one module, whichever way it was linked.
        assert!(
            by_build == by_link,
            "build with objects differs from build + link"
        );
        assert!(
            by_archive == by_link,
            "build with an archive differs from build + link"
        );
    }

    /// Malformed and incomplete input: exit code 2 and a message with the place.
    #[test]
    fn bad_objects_exit_2() {
        let air = root().join("tests/interop/calls.air");
        let dir = scratch().join("cli-bad-objects");
        std::fs::create_dir_all(&dir).unwrap();
        let obj = dir.join("calls.o");
        let bytes = ok(&["build", s(&air), "--emit", "obj", "-o", s(&obj)], &obj);
        let out = dir.join("out.wasm");

        // A truncated object: the byte offset where reading stopped.
        let truncated = dir.join("truncated.o");
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        let (code, _, err) = wabe(&["link", s(&truncated), "-o", s(&out)]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("truncated.o") && err.contains("byte offset 0x"),
            "{err}"
        );
        // Not wasm at all.
        let text = dir.join("text.o");
        std::fs::write(&text, "not an object\n").unwrap();
        let (code, _, err) = wabe(&["build", s(&air), s(&text), "-o", s(&out)]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("text.o") && err.contains("byte offset 0x0"),
            "{err}"
        );
        // The C object alone: `c_call_wabe` calls `wabe_square`, defined nowhere. (Without
        // `--export`, nothing is live and nothing is missing.)
        let c_obj = cc(&root().join("tests/interop/calls.c"), "wasm32", &[]);
        let (code, _, err) = wabe(&["link", s(&c_obj), "--export", "c_call_wabe", "-o", s(&out)]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("undefined symbol `wabe_square`"), "{err}");
        // `--emit obj` writes the .air file's object only.
        let (code, _, err) = wabe(&["build", s(&air), s(&c_obj), "--emit", "obj", "-o", s(&out)]);
        assert_eq!(code, 2, "{err}");
        assert!(!out.exists());
    }

    const EXTRA_AIR: &str = "extern fn c_use(%x: u32) u32
export fn main(%x: u32) u32 {
  %r = call @c_use(%x)
  ret %r
}
fn internal() u32 {
  ret 1:u32
}
";

    const EXTRA_C: &str = "unsigned c_twice(unsigned x) { return 2 * x; }
__attribute__((visibility(\"hidden\"))) unsigned c_hidden(unsigned x) { return x + 100; }
static unsigned c_local(unsigned x) { return x + 1; }
__attribute__((noinline)) unsigned c_use(unsigned x) { return c_local(x) + c_hidden(x); }
";

    /// `--export-all` exports every defined global function (hidden ones too, as wasm-ld):
    /// those of C objects, and `export fn`s; other wabe functions and C's `static` ones are
    /// local. Without it, unreferenced C functions are garbage-collected; `--no-gc-sections`
    /// keeps them.
    #[test]
    fn export_all_and_no_gc_sections() {
        let dir = scratch().join("cli-export-all");
        std::fs::create_dir_all(&dir).unwrap();
        let air = dir.join("extra.air");
        std::fs::write(&air, EXTRA_AIR).unwrap();
        let c_src = dir.join("extra.c");
        std::fs::write(&c_src, EXTRA_C).unwrap();
        let c_obj = cc(&c_src, "wasm32", &[]);
        let obj = dir.join("extra.o");
        ok(&["build", s(&air), "--emit", "obj", "-o", s(&obj)], &obj);
        let out = dir.join("out.wasm");
        let (module, _) = compile(EXTRA_AIR, "extra.air");

        let plain = ok(&["link", s(&obj), s(&c_obj), "-o", s(&out)], &out);
        assert_eq!(exports(&plain), ["memory", "main"]);
        assert!(!functions(&plain).contains(&"c_twice".to_string()));
        let r = wabe::run::invoke(&module, &plain, "main", &["5".into()]).unwrap();
        assert_eq!(r.values, ["111"]);

        let all = ok(
            &["link", s(&obj), s(&c_obj), "--export-all", "-o", s(&out)],
            &out,
        );
        crate::validate(&all);
        let mut names = exports(&all);
        names.sort();
        assert_eq!(names, ["c_hidden", "c_twice", "c_use", "main", "memory"]);
        // Call the C function through a module that knows its type.
        let (sig, _) = compile("export fn c_twice(%x: u32) u32 {\n  ret %x\n}\n", "sig.air");
        let r = wabe::run::invoke(&sig, &all, "c_twice", &["21".into()]).unwrap();
        assert_eq!(r.values, ["42"]);
        // `wabe build` with the object does the same.
        let built = ok(
            &["build", s(&air), s(&c_obj), "--export-all", "-o", s(&out)],
            &out,
        );
        assert_eq!(built, all);
        // A wabe program alone has no global functions but its `export fn`s.
        let direct = ok(&["build", s(&air), "--export-all", "-o", s(&out)], &out);
        assert_eq!(exports(&direct), ["memory", "main"]);
        assert_eq!(direct, ok(&["build", s(&air), "-o", s(&out)], &out));

        // --no-gc-sections keeps what nothing refers to, for `link` and for `build`.
        let kept = ok(
            &[
                "link",
                s(&obj),
                s(&c_obj),
                "--no-gc-sections",
                "-o",
                s(&out),
            ],
            &out,
        );
        let f = functions(&kept);
        assert!(
            f.contains(&"c_twice".to_string()) && f.contains(&"internal".to_string()),
            "{f:?}"
        );
        assert_eq!(exports(&kept), ["memory", "main"]);
        let direct = ok(&["build", s(&air), "--no-gc-sections", "-o", s(&out)], &out);
        assert_eq!(functions(&direct), ["c_use", "main", "internal"]);
        let direct = ok(&["build", s(&air), "-o", s(&out)], &out);
        assert_eq!(functions(&direct), ["c_use", "main"]);
    }
}
