//! wabe's fuzzers, in the shape of wasm-tools' `fuzz/`: each module exposes
//! `run(&mut Unstructured) -> arbitrary::Result<()>`, which panics on a bug. The libFuzzer
//! targets in `fuzz_targets/` are one-line wrappers (`cargo xtask fuzz TARGET`), and every
//! module has a `smoke` test running it on a few hundred random inputs under plain
//! `cargo test` (which `cargo xtask test` runs).
//!
//! - [`parse`]: the text parser never panics, and every error has a location; a module that
//!   parses and verifies prints to text that parses again.
//! - [`verify`]: mutated generated programs never make the verifier, the interpreter or the
//!   compiler panic.
//! - [`compile_generated`]: every generated program verifies and compiles to a valid module
//!   (or is reported as unsupported).
//! - [`differential`]: the compiled module and the reference interpreter agree.

pub mod compile_generated;
pub mod differential;
pub mod parse;
pub mod verify;

use arbitrary::Unstructured;

/// A generated program's text with a few random edits: lines removed, duplicated or swapped,
/// and words replaced by other words of the program (names, types, instruction names).
pub fn mutated_program(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let p = wabe_fuzzgen::generate(u, &wabe_fuzzgen::Config::all())?;
    let mut lines: Vec<String> = p.text.lines().map(String::from).collect();
    let words: Vec<String> = p
        .text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect();
    let edits = u.int_in_range(1..=4u32)?;
    for _ in 0..edits {
        if lines.is_empty() {
            break;
        }
        let i = u.choose_index(lines.len())?;
        match u.int_in_range(0..=4u32)? {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                let j = u.choose_index(lines.len())?;
                lines.swap(i, j);
            }
            3 => {
                let mut ws: Vec<String> = lines[i].split(' ').map(String::from).collect();
                let k = u.choose_index(ws.len())?;
                ws[k] = u.choose(&words)?.clone();
                lines[i] = ws.join(" ");
            }
            _ => {
                let cut = u.int_in_range(0..=lines[i].len())?;
                if lines[i].is_char_boundary(cut) {
                    lines[i].truncate(cut);
                }
            }
        }
    }
    Ok(lines.join("\n"))
}

/// Random inputs for the smoke tests: `count` byte strings from a fixed seed.
pub fn smoke_inputs(seed: u64, count: usize, max_len: usize) -> Vec<Vec<u8>> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    (0..count)
        .map(|_| {
            let len = (next() % (max_len as u64 + 1)) as usize;
            (0..len).map(|_| (next() >> 56) as u8).collect()
        })
        .collect()
}
