//! Chunkings of a byte stream: every test that feeds bytes runs them whole, split at every
//! index, one byte at a time, and at seeded random points, and expects the same result.

/// `bytes` cut into chunks of `n` bytes (the last one may be shorter). `n == 0` is treated as 1.
pub fn split_every(bytes: &[u8], n: usize) -> Vec<&[u8]> {
    bytes.chunks(n.max(1)).collect()
}

/// `bytes` one byte per chunk.
pub fn one_byte_at_a_time(bytes: &[u8]) -> Vec<&[u8]> {
    split_every(bytes, 1)
}

/// Every way of cutting `bytes` into two chunks, including an empty first or last chunk
/// (`len + 1` chunkings).
pub fn all_two_way_splits(bytes: &[u8]) -> impl Iterator<Item = [&[u8]; 2]> + '_ {
    (0..=bytes.len()).map(move |i| {
        let (a, b) = bytes.split_at(i);
        [a, b]
    })
}

/// A tiny deterministic RNG (SplitMix64), so the core's tests need no `rand` dependency and a
/// failing seed replays exactly.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n == 0` gives 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// `bytes` cut at random points chosen by `seed`; chunk sizes are in `0..=max_chunk` (empty
/// chunks included on purpose: a host may hand in an empty read).
pub fn seeded_random_splits(bytes: &[u8], seed: u64, max_chunk: usize) -> Vec<&[u8]> {
    let mut rng = SplitMix64(seed);
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = rng.below(max_chunk.max(1) + 1).min(rest.len());
        let (a, b) = rest.split_at(n);
        out.push(a);
        rest = b;
    }
    out
}

/// The standard set of chunkings every framing test runs: whole, every two-way split, one byte
/// at a time, fixed sizes 2, 3, 7, 64, and a few seeded random splits. Each entry has a label
/// for failure messages.
pub fn standard_chunkings(bytes: &[u8]) -> Vec<(String, Vec<&[u8]>)> {
    let mut out = vec![("whole".to_string(), vec![bytes])];
    for (i, [a, b]) in all_two_way_splits(bytes).enumerate() {
        out.push((format!("split at {i}"), vec![a, b]));
    }
    out.push(("one byte at a time".to_string(), one_byte_at_a_time(bytes)));
    for n in [2, 3, 7, 64] {
        out.push((format!("every {n}"), split_every(bytes, n)));
    }
    for seed in 0..4u64 {
        out.push((
            format!("random seed {seed}"),
            seeded_random_splits(bytes, seed, 9),
        ));
    }
    out
}
