//! Every generated program parses and verifies, and the interpreter runs it to an outcome.

use arbitrary::Unstructured;
use wabe_fuzzgen::{generate, Config};
use wabe_interp::{run, Limits, PrintHost, Stop};

fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn generated_programs_verify_and_run() {
    let mut outcomes = [0usize; 4];
    for cfg in [Config::default(), Config::all()] {
        for seed in 0..150 {
            let data = bytes(seed, 8192);
            let p = generate(&mut Unstructured::new(&data), &cfg).unwrap();
            let mut m = match wabe_air::parse(&p.text) {
                Ok(m) => m,
                Err(e) => panic!("seed {seed}: {e}\n{}", p.text),
            };
            if let Err(e) = wabe_air::verify(&mut m) {
                panic!("seed {seed}: {e}\n{}", p.text);
            }
            let limits = Limits {
                max_steps: 200_000,
                ..Limits::default()
            };
            let mut host = PrintHost::default();
            match run(&m, &mut host, &p.entry, &p.args, limits) {
                Ok(_) => outcomes[0] += 1,
                Err(Stop::Illegal(_)) => outcomes[1] += 1,
                Err(Stop::Trap(_)) => outcomes[2] += 1,
                Err(Stop::StepLimit(_)) => outcomes[3] += 1,
                Err(e) => panic!("seed {seed}: {e}\n{}", p.text),
            }
        }
    }
    eprintln!("returned, illegal, trapped, out of steps: {outcomes:?}");
    assert!(
        outcomes[0] > 100,
        "too few programs run to the end: {outcomes:?}"
    );
}
