//! The generator of large, realistic modules.
//!
//! A module is made of *units* of five functions each, so that every unit mixes what a Zig
//! compiler hands a backend:
//!
//! - `vscale{j}`: a struct of three `f64` taken and returned by value (by reference and sret
//!   in wasm);
//! - `sum{j}`: a loop over a slice (`[]const u32`) of the unit's constant table `tbl{j}`
//!   (16 × `u32` of read-only data);
//! - `digit{j}`: an error union (`ParseError!u32`) with two errors;
//! - `op{j}`: the target of a function pointer (called indirectly);
//! - `f{j}` (exported): a loop of integer arithmetic over stack slots, a call of each helper
//!   (the function pointer through a stack slot), a `switch_br` over the error, a direct call
//!   of `f{j-1}` (the previous unit, so that calls cross objects when the module is split),
//!   and a `switch_br` that becomes a `br_table`.
//!
//! [`module`] writes the whole module; [`objects`] writes the same program split into several
//! modules (one relocatable object each), each declaring the `f` it calls in the previous
//! object as an `extern fn`.

use std::fmt::Write;

/// Functions per unit.
pub const UNIT: usize = 5;

const PRELUDE: &str =
    "type Vec3 = struct { x: f64, y: f64, z: f64 }\ntype ParseError = error{Bad, Empty}\n";

/// The whole module of `functions` functions (rounded up to a whole number of units). With
/// `variant = Some(j)`, the body of `f{j}` differs (one constant), for incremental updates.
pub fn module(functions: usize, variant: Option<usize>) -> String {
    let units = functions.div_ceil(UNIT).max(1);
    let mut s = String::with_capacity(units * 3200);
    s.push_str(PRELUDE);
    for j in 0..units {
        unit(&mut s, j, variant == Some(j));
    }
    s
}

/// The same program as [`module`] split into modules of `per_object` functions each (rounded
/// to whole units), each to be compiled to one relocatable object.
pub fn objects(functions: usize, per_object: usize) -> Vec<String> {
    let units = functions.div_ceil(UNIT).max(1);
    let per = per_object.div_ceil(UNIT).max(1);
    let mut out = Vec::new();
    let mut first = 0;
    while first < units {
        let last = (first + per).min(units);
        let mut s = String::with_capacity(per * 3200);
        s.push_str(PRELUDE);
        if first > 0 {
            let _ = writeln!(s, "extern fn f{}(%n: u32, %m: i64) u32", first - 1);
        }
        for j in first..last {
            unit(&mut s, j, false);
        }
        out.push(s);
        first = last;
    }
    out
}

/// The name of the exported function of unit `j`.
pub fn entry(j: usize) -> String {
    format!("f{j}")
}

/// The number of units of a module of `functions` functions.
pub fn units(functions: usize) -> usize {
    functions.div_ceil(UNIT).max(1)
}

fn unit(s: &mut String, j: usize, variant: bool) {
    let callee = j.saturating_sub(1);
    let table: Vec<String> = (0..16)
        .map(|k| ((j * 31 + k * 7) % 1000).to_string())
        .collect();
    let table = table.join(", ");
    let limit = 9 + j % 7;
    let odd = 2 * (j % 1000) + 1;
    let mulc = if variant { 37 } else { 31 };
    let _ = write!(
        s,
        "const tbl{j}: [16]u32 = .{{ {table} }}
fn vscale{j}(%a: Vec3, %k: f64) Vec3 {{
  %ax = struct_field_val %a, 0
  %x = mul %ax, %k
  %ay = struct_field_val %a, 1
  %y = add %ay, %k
  %az = struct_field_val %a, 2
  %z = sub %az, %k
  %r = aggregate_init Vec3, %x, %y, %z
  ret %r
}}
fn sum{j}(%s: []const u32, %seed: u32) u32 {{
  %acc = alloc u32
  store %acc, %seed
  %i = alloc usize
  store %i, 0:usize
  %len = slice_len %s
  %done = block void {{
    loop {{
      %iv = load %i
      %c = cmp_lt %iv, %len
      cond_br %c {{
        %e = slice_elem_val %s, %iv
        %a = load %acc
        %a2 = add_wrap %a, %e
        store %acc, %a2
        %i2 = add %iv, 1:usize
        store %i, %i2
        repeat
      }} else {{
        br %done
      }}
    }}
  }}
  %r = load %acc
  ret %r
}}
fn digit{j}(%c: u32) ParseError!u32 {{
  %z = cmp_eq %c, 0:u32
  cond_br %z {{
    ret error.Empty:ParseError!u32
  }} else {{
    %big = cmp_gt %c, {limit}:u32
    cond_br %big {{
      ret error.Bad:ParseError!u32
    }} else {{
      %d = mul %c, 3:u32
      %r = wrap_errunion_payload ParseError!u32, %d
      ret %r
    }}
  }}
}}
fn op{j}(%a: u32, %b: u32) u32 {{
  %x = xor %a, %b
  %y = mul_wrap %x, {odd}:u32
  ret %y
}}
export fn f{j}(%n: u32, %m: i64) u32 {{
  %acc = alloc u32
  store %acc, {j}:u32
  %k = alloc u32
  store %k, 0:u32
  %done = block void {{
    loop {{
      %kv = load %k
      %c = cmp_lt %kv, %n
      cond_br %c {{
        %a = load %acc
        %x = mul_wrap %a, {mulc}:u32
        %y = xor %x, %kv
        %z = shr %y, 3:u32
        %w = add_wrap %z, %a
        store %acc, %w
        %k2 = add %kv, 1:u32
        store %k, %k2
        repeat
      }} else {{
        br %done
      }}
    }}
  }}
  %r = load %acc
  %t = array_to_slice []const u32, @tbl{j}
  %s = call @sum{j}(%t, %r)
  %d = call @digit{j}(%n)
  %bad = is_err %d
  %dv = block u32 {{
    cond_br %bad {{
      %e = unwrap_errunion_err %d
      switch_br %e {{
        error.Empty => {{
          br %dv, 1:u32
        }}
        error.Bad => {{
          br %dv, 2:u32
        }}
      }}
    }} else {{
      %p = unwrap_errunion_payload %d
      br %dv, %p
    }}
  }}
  %fp = alloc *const fn (u32, u32) u32
  store %fp, @op{j}
  %f = load %fp
  %o = call %f(%s, %dv)
  %nf = int_to_float f64, %n
  %v = aggregate_init Vec3, %nf, 1.5:f64, 2.0:f64
  %vs = call @vscale{j}(%v, 0.5:f64)
  %vx = struct_field_val %vs, 0
  %vi = float_to_int u32, %vx
  %o2 = add_wrap %o, %vi
  %big = cmp_gt %m, 100:i64
  %sel = block u32 {{
    cond_br %big {{
      %q = call @f{callee}(%n, 0:i64)
      %s2 = add_wrap %q, %o2
      br %sel, %s2
    }} else {{
      %tm = trunc u32, %m
      %u = bit_and %tm, %o2
      br %sel, %u
    }}
  }}
  switch_br %n {{
    0 => {{
      ret %sel
    }}
    1, 2 => {{
      %dd = div_trunc %sel, 3:u32
      ret %dd
    }}
    3 => {{
      %ee = rem %sel, 7:u32
      ret %ee
    }}
    else => {{
      ret %o2
    }}
  }}
}}
"
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_modules_compile_and_run() {
        let src = super::module(20, None);
        let out = wabe::compile_str(&src, &wabe::Options::default()).expect("compiles");
        let r = wabe::run::invoke(&out.module, &out.wasm, "f3", &["5".into(), "200".into()])
            .expect("runs");
        assert_eq!(r.values.len(), 1);
        let changed = super::module(20, Some(2));
        assert_ne!(src, changed);
        assert_eq!(super::objects(20, 10).len(), 2);
    }
}
