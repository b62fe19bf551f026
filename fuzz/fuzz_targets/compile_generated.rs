//! libFuzzer entry point; the fuzzer itself is `wabe_fuzz::compile_generated::run`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wabe_fuzz::compile_generated::run(&mut arbitrary::Unstructured::new(data));
});
