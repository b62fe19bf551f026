//! Compile-speed benchmark: a generated module of many functions (default 10,000) mixing
//! arithmetic, loops, branches and calls, compiled end to end. Prints the time of each stage
//! (median of several runs) and the throughput. Run with `cargo xtask bench [FUNCTIONS]`.

use std::fmt::Write;
use std::time::{Duration, Instant};

fn generate(n: usize) -> String {
    let mut s = String::with_capacity(n * 600);
    s.push_str("extern fn print_i32(x: i32) void from \"env\"\n");
    for i in 0..n {
        let callee = if i == 0 { 0 } else { i - 1 };
        let _ = write!(
            s,
            "export fn f{i}(%n: u32, %m: i64) u32 {{
  %acc = alloc u32
  store %acc, {i}:u32
  %k = alloc u32
  store %k, 0:u32
  %done = block void {{
    loop {{
      %kv = load %k
      %c = cmp_lt %kv, %n
      cond_br %c {{
        %a = load %acc
        %x = mul_wrap %a, 31:u32
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
  %big = cmp_gt %m, 100:i64
  %r = load %acc
  %sel = block u32 {{
    cond_br %big {{
      %m2 = sub %m, 1:i64
      %q = call @f{callee}(%n, 0:i64)
      %s = add_wrap %q, %r
      br %sel, %s
    }} else {{
      %t = trunc u32, %m
      %u = bit_and %t, %r
      br %sel, %u
    }}
  }}
  switch_br %n {{
    0 => {{
      ret %sel
    }}
    1, 2 => {{
      %d = div_trunc %sel, 3:u32
      ret %d
    }}
    3 => {{
      %e = rem %sel, 7:u32
      ret %e
    }}
    else => {{
      ret %r
    }}
  }}
}}
"
        );
    }
    s
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let src = generate(n);
    let runs = 5;
    let (mut parse, mut verify, mut compile, mut total) = (vec![], vec![], vec![], vec![]);
    let mut size = 0;
    let mut insts = 0;
    for _ in 0..runs {
        let t0 = Instant::now();
        let mut m = wabe_air::parse(&src).expect("generated module parses");
        let t1 = Instant::now();
        wabe_air::verify(&mut m).expect("generated module verifies");
        let t2 = Instant::now();
        let wasm = wabe::Compilation::new(&m, &wabe::Options::default())
            .and_then(|mut c| c.flush())
            .expect("generated module compiles");
        let t3 = Instant::now();
        parse.push(t1 - t0);
        verify.push(t2 - t1);
        compile.push(t3 - t2);
        total.push(t3 - t0);
        size = wasm.len();
        insts = m
            .decls
            .iter()
            .map(|d| match &d.kind {
                wabe_air::DeclKind::Fn(f) => f.air.len(),
                _ => 0,
            })
            .sum::<usize>();
    }
    let t = median(total.clone());
    println!("| stage | median of {runs} |");
    println!("|---|---|");
    println!("| parse | {:?} |", median(parse));
    println!("| verify | {:?} |", median(verify));
    println!("| codegen + link | {:?} |", median(compile));
    println!("| total | {t:?} |");
    println!();
    println!(
        "{n} functions, {insts} AIR instructions, {} bytes of source, {size} bytes of wasm",
        src.len()
    );
    println!(
        "{:.1} M AIR instructions/s, {:.1} MB/s of wasm output",
        insts as f64 / t.as_secs_f64() / 1e6,
        size as f64 / t.as_secs_f64() / 1e6
    );
}
