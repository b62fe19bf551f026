//! The text parser: any input gives a module or located errors, never a panic; a module that
//! parses and verifies prints to text that parses and verifies again.

use arbitrary::{Result, Unstructured};

/// Parses raw text, or a mutated generated program.
pub fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let src = if u.arbitrary()? {
        crate::mutated_program(u)?
    } else {
        String::from_utf8_lossy(u.bytes(u.len())?).into_owned()
    };
    check(&src);
    Ok(())
}

/// The checks on one text.
pub fn check(src: &str) {
    match wabe_air::parse(src) {
        Err(e) => {
            assert!(!e.diagnostics.is_empty(), "an error without diagnostics");
            for d in &e.diagnostics {
                assert!(d.span.line >= 1, "an error without a location: {d}\n{src}");
            }
        }
        Ok(mut m) => {
            if wabe_air::verify(&mut m).is_ok() {
                let text = wabe_air::print(&m);
                let mut again = wabe_air::parse(&text)
                    .unwrap_or_else(|e| panic!("printed text does not parse: {e}\n{text}"));
                wabe_air::verify(&mut again)
                    .unwrap_or_else(|e| panic!("printed text does not verify: {e}\n{text}"));
            }
        }
    }
}

#[test]
fn smoke() {
    for data in crate::smoke_inputs(1, 300, 4096) {
        let _ = run(&mut Unstructured::new(&data));
    }
}
