//! The differential check: the compiled module and the reference interpreter agree on a
//! generated program (see `wabe::differential`).

use arbitrary::{Result, Unstructured};

/// Generates a program from the bytes and compares both readings; panics on a failure with
/// the program and what each side did.
pub fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let data = u.bytes(u.len())?;
    let (p, v) = wabe::differential::check_bytes(data, &wabe_fuzzgen::Config::default());
    if v.is_failure() {
        panic!(
            "{v:?}\n{}",
            p.map(|p| p.to_file("differential failure", &[]))
                .unwrap_or_default()
        );
    }
    Ok(())
}

#[test]
fn smoke() {
    for data in crate::smoke_inputs(4, 300, 4096) {
        let _ = run(&mut Unstructured::new(&data));
    }
}
