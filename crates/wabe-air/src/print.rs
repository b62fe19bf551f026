//! The text printer. TO BE WRITTEN.
use crate::Module;

/// Prints a module as IR text that [`parse`](crate::parse) reads back to the same module.
pub fn print(_module: &Module) -> String {
    String::new()
}
