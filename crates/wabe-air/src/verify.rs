//! The verifier. TO BE WRITTEN.
use crate::{Error, Module};

/// Checks a module and computes the result type of every instruction.
pub fn verify(_module: &mut Module) -> Result<(), Error> {
    Ok(())
}
