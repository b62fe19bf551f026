//! Integration tests of the interpreter.

mod programs;
