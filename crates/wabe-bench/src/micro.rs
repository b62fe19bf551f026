//! Row 5 (placeholder).
use crate::{Env, Section};
pub fn run(_env: &Env) -> anyhow::Result<Section> { anyhow::bail!("todo") }
pub fn child(_quick: bool) {}
