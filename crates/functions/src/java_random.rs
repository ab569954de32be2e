//! `java.util.Random`, reproduced bit for bit.

/// The linear congruential generator of `java.util.Random`, for results that follow Spark's
/// seeded sequences exactly.
#[derive(Debug)]
pub struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5DEE_CE66D;
    const MASK: u64 = (1 << 48) - 1;

    pub fn new(seed: u64) -> Self {
        Self {
            seed: (seed ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    /// `java.util.Random.nextInt(bound)`.
    pub fn next_int(&mut self, bound: i32) -> i32 {
        let bound = i64::from(bound.max(1));
        let mut r = self.next(31) as i64;
        let m = bound - 1;
        if bound & m == 0 {
            return ((bound * r) >> 31) as i32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            if u - r + m <= i64::from(i32::MAX) {
                return r as i32;
            }
            u = self.next(31) as i64;
        }
    }

    fn next(&mut self, bits: u32) -> u64 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        self.seed >> (48 - bits)
    }

    pub fn next_double(&mut self) -> f64 {
        let high = self.next(26) << 27;
        let low = self.next(27);
        (high + low) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}
