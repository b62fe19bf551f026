//! Tests of the linker: programs built directly in MIR, flushed, validated, read back with
//! wasmparser and run with wasmi; one test per option; errors.

mod data;
mod errors;
mod gc;
mod objects;
mod options;
mod programs;
mod util;
