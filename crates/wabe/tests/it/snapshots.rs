//! Snapshots of the MIR and of the WAT (through wasmprinter) for a few programs.

use crate::root;

fn snapshot(file: &str) {
    let src = std::fs::read_to_string(root().join("tests/programs").join(file)).unwrap();
    let out = wabe::compile_str(&src, &wabe::Options::default()).unwrap();
    crate::validate(&out.wasm);
    let mir = wabe::Compilation::print_mir(&out.module, &wabe::Options::default()).unwrap();
    let wat = wasmprinter::print_bytes(&out.wasm).unwrap();
    let name = file.trim_end_matches(".air");
    insta::with_settings!({ snapshot_suffix => name }, {
        insta::assert_snapshot!("mir", mir);
        insta::assert_snapshot!("wat", wat);
    });
}

#[test]
fn fib() {
    snapshot("fib.air");
}

#[test]
fn sum_to() {
    snapshot("sum_to.air");
}

#[test]
fn switch_dense() {
    snapshot("switch_dense.air");
}

#[test]
fn odd_widths() {
    snapshot("odd_widths.air");
}

#[test]
fn aggregates_sret() {
    snapshot("agg_sret.air");
}

#[test]
fn optionals() {
    snapshot("opt_scalar.air");
}

#[test]
fn error_unions() {
    snapshot("errunion_ptr.air");
}

#[test]
fn wide_shifts() {
    snapshot("u128_shift.air");
}

#[test]
fn overflow() {
    snapshot("overflow_narrow.air");
}

#[test]
fn float16() {
    snapshot("f16_ops.air");
}

#[test]
fn struct_fields() {
    snapshot("agg_struct.air");
}

#[test]
fn slices() {
    snapshot("agg_slice.air");
}

#[test]
fn unions() {
    snapshot("agg_union.air");
}

#[test]
fn c_convention() {
    snapshot("agg_c_abi.air");
}

#[test]
fn function_pointers() {
    snapshot("fnptr_table.air");
}

#[test]
fn switch_enum() {
    snapshot("switch_enum_errors.air");
}

#[test]
fn memcpy_memset() {
    snapshot("snap_mem.air");
}

#[test]
fn u128_helpers() {
    snapshot("snap_u128.air");
}

#[test]
fn pointer_optionals() {
    snapshot("opt_ptr.air");
}
