//! The verifier, on mutated generated programs: no panics, located errors; what verifies also
//! runs in the interpreter and goes through the compiler without a panic.

use arbitrary::{Result, Unstructured};

/// Verifies a mutated generated program.
pub fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let src = crate::mutated_program(u)?;
    let Ok(mut m) = wabe_air::parse(&src) else {
        return Ok(());
    };
    match wabe_air::verify(&mut m) {
        Err(e) => {
            for d in &e.diagnostics {
                assert!(d.span.line >= 1, "an error without a location: {d}\n{src}");
            }
        }
        Ok(()) => {
            let mut host = wabe_interp::PrintHost::default();
            let limits = wabe_interp::Limits {
                max_steps: 100_000,
                ..Default::default()
            };
            let _ = wabe_interp::run(&m, &mut host, "main", &[], limits);
            let _ =
                wabe::Compilation::new(&m, &wabe::Options::default()).and_then(|mut c| c.flush());
        }
    }
    Ok(())
}

#[test]
fn smoke() {
    for data in crate::smoke_inputs(2, 300, 4096) {
        let _ = run(&mut Unstructured::new(&data));
    }
}
