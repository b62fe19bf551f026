//! Fuzzes the text parser and the verifier: any input must give a module or located errors,
//! never a panic or a hang; a module that verifies must compile or report a located error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let Ok(mut module) = wabe_air::parse(src) else { return };
    if wabe_air::verify(&mut module).is_err() {
        return;
    }
    let _ = wabe::Compilation::new(&module, &wabe::Options::default()).and_then(|mut c| c.flush());
});
