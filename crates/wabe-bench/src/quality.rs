//! Row 4 (placeholder).
use crate::{Env, Section};
pub fn run(_env: &Env) -> anyhow::Result<Section> { anyhow::bail!("todo") }
