//! libFuzzer entry point; the fuzzer itself is `wabe_fuzz::parse::run`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wabe_fuzz::parse::run(&mut arbitrary::Unstructured::new(data));
});
