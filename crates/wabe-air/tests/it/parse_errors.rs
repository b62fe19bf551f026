//! One test per kind of parse error: the rendered diagnostic (line:col and message) is
//! snapshotted together with the source, so the snapshot shows exactly where it points.

use wabe_air::parse;

fn render(src: &str) -> String {
    match parse(src) {
        Ok(_) => panic!("expected an error for:\n{src}"),
        Err(e) => {
            assert!(!e.diagnostics.is_empty());
            let diags: Vec<String> = e.diagnostics.iter().map(|d| d.to_string()).collect();
            format!("{src}\n---\n{}", diags.join("\n"))
        }
    }
}

/// The first diagnostic, `line:col: error: message`.
fn first(src: &str) -> String {
    parse(src).expect_err("expected an error").diagnostics[0].to_string()
}

macro_rules! error_case {
    ($name:ident, $src:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), render($src));
        }
    };
}

error_case!(
    unknown_type,
    "export fn f(%p: Point) u32 {\n  ret 0:u32\n}\n"
);
error_case!(
    undefined_value,
    "export fn f(%x: u32) u32 {\n  %a = add %x, %y\n  ret %a\n}\n"
);
error_case!(
    used_before_defined,
    "export fn f(%x: u32) u32 {\n  %a = add %b, 1:u32\n  %b = add %x, 2:u32\n  ret %a\n}\n"
);
error_case!(
    defined_twice,
    "export fn f(%x: u32) u32 {\n  %a = add %x, 1:u32\n  %a = add %x, 2:u32\n  ret %a\n}\n"
);
error_case!(
    param_defined_twice,
    "fn f(%x: u32, %x: u32) void {\n  ret\n}\n"
);
error_case!(
    not_in_scope,
    "fn f(%c: bool) u32 {\n  cond_br %c {\n    %a = add 1:u32, 2:u32\n    ret %a\n  } else {\n    ret %a\n  }\n}\n"
);
error_case!(
    br_not_enclosing,
    "fn f() u32 {\n  %b1 = block u32 {\n    br %b1, 1:u32\n  }\n  %b2 = block u32 {\n    br %b1, 2:u32\n  }\n  ret %b2\n}\n"
);
error_case!(
    br_to_loop,
    "fn f() void {\n  %l = loop {\n    br %l\n  }\n}\n"
);
error_case!(
    repeat_outside_loop,
    "fn f() void {\n  %b = block void {\n    repeat\n  }\n  ret\n}\n"
);
error_case!(repeat_not_enclosing, "fn f() void {\n  %l = loop {\n    repeat %l\n  }\n  %m = block void {\n    repeat %l\n  }\n}\n");
error_case!(
    loop_label_as_value,
    "fn f() void {\n  %l = loop {\n    %x = add %l, %l\n    repeat\n  }\n}\n"
);
error_case!(bad_token, "fn f() void {\n  ret $\n}\n");
error_case!(expected_paren, "export fn f(%x: u32 {\n  ret %x\n}\n");
error_case!(
    unterminated_string,
    "const s: [3]u8 = \"abc\nconst t: u8 = 1\n"
);
error_case!(bad_escape, "const s: [2]u8 = \"a\\qb\"\n");
error_case!(bad_unicode_escape, "const s: [4]u8 = \"\\u{110000}\"\n");
error_case!(
    int_does_not_fit,
    "export fn f(%x: u8) u8 {\n  %r = add %x, 300:u8\n  ret %r\n}\n"
);
error_case!(negative_unsigned, "const x: u32 = -1\n");
error_case!(int_does_not_fit_enum, "type E = enum(u2) { a, b = 4 }\n");
error_case!(
    unknown_instruction,
    "fn f() void {\n  %x = frobnicate 1:u32\n  ret\n}\n"
);
error_case!(
    duplicate_decl,
    "const x: u32 = 1\nvar y: u32 = 2\nfn x() void {\n  ret\n}\n"
);
error_case!(duplicate_type, "type T = u32\ntype T = u64\n");
error_case!(
    unknown_decl,
    "export fn f(%x: u32) u32 {\n  %r = call @missing(%x)\n  ret %r\n}\n"
);
error_case!(unknown_decl_in_data, "const p: *const u32 = @nowhere.x\n");
error_case!(
    untyped_operand,
    "fn f(%x: u32) u32 {\n  %y = add %x, 1\n  ret %y\n}\n"
);
error_case!(
    type_contains_itself,
    "type A = struct { b: B }\ntype B = struct { a: ?A }\n"
);
error_case!(alias_contains_itself, "type L = ?*L\n");
error_case!(
    nesting_too_deep,
    &format!("const x: {}u8 = null\n", "?".repeat(1000))
);
error_case!(
    body_nesting_too_deep,
    &format!("fn f() void {{\n{}", "loop {\n".repeat(600))
);
error_case!(target_not_first, "const x: u32 = 1\ntarget wasm64\n");
error_case!(bad_target, "target wasm16\n");
error_case!(string_length, "const s: [4]u8 = \"hello\"\n");
error_case!(float_for_int, "const x: u32 = 1.5\n");
error_case!(null_for_int, "const x: u32 = null\n");
error_case!(
    no_result_to_name,
    "fn f(%p: *u32) void {\n  %s = store %p, 1:u32\n  ret\n}\n"
);
error_case!(
    two_on_one_line,
    "fn f(%x: u32) u32 {\n  %a = add %x, %x %b = add %x, %x\n  ret %a\n}\n"
);
error_case!(unclosed_body, "fn f() void {\n  ret\n");
error_case!(int_type_too_wide, "const x: u65536 = 0\n");
error_case!(bad_int_literal, "const x: u32 = 0x\n");
error_case!(
    no_such_field,
    "type P = struct { x: u32 }\nconst p: P = .{ .y = 1 }\n"
);
error_case!(too_few_values, "const a: [3]u8 = .{ 1, 2 }\n");
error_case!(not_an_item, "42\n");
error_case!(arg_written, "fn f() void {\n  %a = arg\n  ret\n}\n");
error_case!(reserved_type_name, "type u32 = u8\n");
error_case!(error_union_of_non_error, "const x: u32!u8 = 1\n");

#[test]
fn positions_are_precise() {
    // The spans the workspace's error programs rely on.
    assert_eq!(
        first("export fn f(%x: u32 {\n  ret %x\n}\n"),
        "1:21: error: expected `)`, found `{`"
    );
    assert_eq!(
        first("export fn f(%x: u8) u8 {\n  %r = add %x, 300:u8\n  ret %r\n}\n"),
        "2:16: error: `300` does not fit in `u8`"
    );
    assert_eq!(
        first("fn f() u32 {\n  %b1 = block u32 {\n    br %b1, 1:u32\n  }\n  %b2 = block u32 {\n      br %b1, 2:u32\n  }\n}\n"),
        "6:7: error: `%b1` is not an enclosing block"
    );
    assert_eq!(
        first("fn f() void {\n  %a = add %a, 1:u32\n}\n"),
        "2:12: error: `%a` is not defined"
    );
    assert_eq!(
        first("const s: [1]u8 = \"\\x4\"\n"),
        "1:19: error: invalid escape sequence `\\x4\"`"
    );
    assert_eq!(
        first("const x: i8 = -129\n"),
        "1:15: error: `-129` does not fit in `i8`"
    );
}
