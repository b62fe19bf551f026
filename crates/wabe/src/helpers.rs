//! The helper functions funcgen synthesizes (`__wabe_*`: 128-bit multiplication and division,
//! float conversions), as the driver keeps them across incremental updates.
//!
//! A helper is declared the first time a function needs it, once per module, and gets the
//! order key [`HELPER_ORDER`]: helpers come after every declaration, ordered by name (the
//! linker orders symbols of equal keys by name), whichever function asked first. The driver
//! records which helpers each function (or helper) calls; before a flush, helpers that no
//! function calls any more are freed. So the module holds exactly the helpers a fresh build of
//! the same program would hold, in the same order.

use std::collections::HashMap;

use wabe_link::Linker;
use wabe_mir::SymbolIndex;

/// The order key of every helper: after all declarations (whose keys are their positions).
pub(crate) const HELPER_ORDER: u32 = u32::MAX;

/// The helpers of one compilation and who calls them.
#[derive(Debug, Default)]
pub(crate) struct Helpers {
    /// Each helper's symbol, by name.
    by_name: HashMap<String, SymbolIndex>,
    /// For each function or helper that calls helpers: the helpers it calls.
    uses: HashMap<SymbolIndex, Vec<SymbolIndex>>,
    /// Whether some use went away since the last collection.
    dirty: bool,
}

impl Helpers {
    /// The symbol of helper `name`, if it exists.
    pub(crate) fn symbol(&self, name: &str) -> Option<SymbolIndex> {
        self.by_name.get(name).copied()
    }

    /// Records a new helper.
    pub(crate) fn add(&mut self, name: &str, sym: SymbolIndex) {
        self.by_name.insert(name.to_string(), sym);
    }

    /// Sets the helpers a function (or helper) calls, replacing what it called before.
    pub(crate) fn set_uses(&mut self, user: SymbolIndex, mut used: Vec<SymbolIndex>) {
        used.sort_unstable_by_key(|s| s.0);
        used.dedup();
        let old = if used.is_empty() {
            self.uses.remove(&user)
        } else {
            self.uses.insert(user, used)
        };
        self.dirty |= old.is_some();
    }

    /// Forgets what a freed function called (its symbol index may be reused).
    pub(crate) fn forget(&mut self, user: SymbolIndex) {
        self.dirty |= self.uses.remove(&user).is_some();
    }

    /// Frees every helper that no function calls, directly or through other helpers.
    pub(crate) fn collect(&mut self, linker: &mut Linker) -> Result<(), wabe_link::LinkError> {
        if !std::mem::take(&mut self.dirty) {
            return Ok(());
        }
        let is_helper: std::collections::HashSet<SymbolIndex> =
            self.by_name.values().copied().collect();
        let mut live = std::collections::HashSet::new();
        let mut work: Vec<SymbolIndex> = self
            .uses
            .iter()
            .filter(|(user, _)| !is_helper.contains(user))
            .flat_map(|(_, used)| used.iter().copied())
            .collect();
        while let Some(h) = work.pop() {
            if live.insert(h) {
                work.extend(self.uses.get(&h).into_iter().flatten().copied());
            }
        }
        let dead: Vec<(String, SymbolIndex)> = self
            .by_name
            .iter()
            .filter(|(_, s)| !live.contains(s))
            .map(|(n, &s)| (n.clone(), s))
            .collect();
        for (name, sym) in dead {
            linker.free_symbol(sym)?;
            self.by_name.remove(&name);
            self.uses.remove(&sym);
        }
        Ok(())
    }
}
