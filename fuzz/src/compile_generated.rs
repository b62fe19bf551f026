//! Compiling generated programs: each verifies and compiles to a module that wasm validation
//! accepts, unless the compiler reports something as unsupported.

use arbitrary::{Result, Unstructured};

/// Generates a program (everything switched on) and compiles it.
pub fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let cfg = if u.arbitrary()? {
        wabe_fuzzgen::Config::all()
    } else {
        wabe_fuzzgen::Config::default()
    };
    let p = wabe_fuzzgen::generate(u, &cfg)?;
    let mut m = wabe_air::parse(&p.text)
        .unwrap_or_else(|e| panic!("a generated program does not parse: {e}\n{}", p.text));
    wabe_air::verify(&mut m)
        .unwrap_or_else(|e| panic!("a generated program does not verify: {e}\n{}", p.text));
    match wabe::Compilation::new(&m, &wabe::Options::default()).and_then(|mut c| c.flush()) {
        Ok(wasm) => {
            let mut features = wasmparser::WasmFeatures::default();
            features.insert(wasmparser::WasmFeatures::MEMORY64);
            features.insert(wasmparser::WasmFeatures::TAIL_CALL);
            if let Err(e) = wasmparser::Validator::new_with_features(features).validate_all(&wasm) {
                panic!("an invalid module: {e}\n{}", p.text);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("unsupported"),
                "a compile error: {msg}\n{}",
                p.text
            );
        }
    }
    Ok(())
}

#[test]
fn smoke() {
    for data in crate::smoke_inputs(3, 300, 4096) {
        let _ = run(&mut Unstructured::new(&data));
    }
}
