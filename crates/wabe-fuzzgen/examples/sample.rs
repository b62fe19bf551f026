use arbitrary::Unstructured;
fn main() {
    let seed: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let data: Vec<u8> = (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let p = wabe_fuzzgen::generate(
        &mut Unstructured::new(&data),
        &wabe_fuzzgen::Config::default(),
    )
    .unwrap();
    println!("{}", p.text);
}
