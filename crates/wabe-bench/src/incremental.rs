//! Row 3: incremental updates. In a generated module, the body of one exported function
//! changes (one constant); [`wabe::Compilation::update`] moves to the new program and `flush`
//! writes it. Compared with a full build (`Compilation::new` + `flush`) of the same program.

use crate::util::{self, dur, median, Json};
use crate::{gen, Env, Section};
use anyhow::{bail, Result};
use std::time::Instant;

fn load(src: &str) -> Result<wabe_air::Module> {
    let mut m = wabe_air::parse(src).map_err(|e| anyhow::anyhow!("{e}"))?;
    wabe_air::verify(&mut m).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(m)
}

/// Runs the row.
pub fn run(env: &Env) -> Result<Section> {
    let n = if env.quick { 2_000 } else { 10_000 };
    let runs = if env.quick { 4 } else { 10 };
    let changed_unit = gen::units(n) / 2;
    let changed = gen::entry(changed_unit);
    let src_a = gen::module(n, None);
    let src_b = gen::module(n, Some(changed_unit));
    let t = Instant::now();
    let mb = load(&src_b)?;
    let parse_verify = t.elapsed();
    let ma = load(&src_a)?;

    // Full builds of version B.
    let mut full = Vec::new();
    let mut fresh_b = Vec::new();
    for _ in 0..runs.min(5) {
        let t = Instant::now();
        let bytes = wabe::Compilation::new(&mb, &wabe::Options::default())?.flush()?;
        full.push(t.elapsed());
        fresh_b = bytes;
    }
    let fresh_a = wabe::Compilation::new(&ma, &wabe::Options::default())?.flush()?;

    // Updates, alternating B, A, B, ... from a compilation of A.
    let mut c = wabe::Compilation::new(&ma, &wabe::Options::default())?;
    c.flush()?;
    let (mut update, mut flush, mut both) = (Vec::new(), Vec::new(), Vec::new());
    let mut identical = true;
    for i in 0..runs {
        let (next, expect) = if i % 2 == 0 {
            (mb.clone(), &fresh_b)
        } else {
            (ma.clone(), &fresh_a)
        };
        let t0 = Instant::now();
        c.update(next, &[changed.as_str()])?;
        let t1 = Instant::now();
        let bytes = c.flush()?;
        let t2 = Instant::now();
        update.push(t1 - t0);
        flush.push(t2 - t1);
        both.push(t2 - t0);
        identical &= &bytes == expect;
    }
    if fresh_a == fresh_b {
        bail!("the change to `{changed}` did not change the module");
    }
    let full_t = median(&full);
    let inc_t = median(&both);
    let mut md = String::new();
    md.push_str(&format!(
        "A module of {n} functions ({} bytes of wasm); the body of `{changed}` changes (one constant). \
         `Compilation::update(new_module, &[\"{changed}\"])` then `flush`, alternating between the \
         two versions, {runs} runs; the full build is `Compilation::new` + `flush` of the same \
         verified module (parse and verify excluded from both: they took {} for the new text, and \
         a compiler that builds AIR in memory does not pay them).\n\n",
        fresh_b.len(),
        dur(parse_verify)
    ));
    util::table(
        &mut md,
        &[
            "functions",
            "full build",
            "update",
            "flush",
            "update + flush",
            "incremental / full",
            "byte-identical to a fresh build",
        ],
        &[vec![
            n.to_string(),
            dur(full_t),
            dur(median(&update)),
            dur(median(&flush)),
            dur(inc_t),
            util::ratio(inc_t.as_secs_f64(), full_t.as_secs_f64()),
            if identical { "yes".into() } else { "NO".into() },
        ]],
    );
    md.push_str(
        "`update` matches every declaration of the new module with the old one by name and \
         compares interfaces, so it is linear in the module's size even when one body changed; \
         `flush` lays out and writes the whole module again.\n",
    );
    Ok(Section {
        title: "3. Incremental update".into(),
        md,
        json: Json::obj([
            ("functions", Json::Num(n as f64)),
            ("changed", Json::str(changed)),
            ("runs", Json::Num(runs as f64)),
            ("full_build_s", Json::secs(full_t)),
            ("update_s", Json::secs(median(&update))),
            ("flush_s", Json::secs(median(&flush))),
            ("update_and_flush_s", Json::secs(inc_t)),
            (
                "ratio_to_full",
                Json::Num(inc_t.as_secs_f64() / full_t.as_secs_f64()),
            ),
            ("parse_verify_new_text_s", Json::secs(parse_verify)),
            ("identical_to_fresh_build", Json::Bool(identical)),
        ]),
    })
}
