//! Lowercase hex digests: the one spelling of a sha256 in manifests,
//! parameters, execution names and source hashes; and the compile-time
//! fingerprint that ties generated code to its sources.

use sha2::{Digest, Sha256};

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            if let Some(&d) = DIGITS.get(usize::from(nibble)) {
                out.push(char::from(d));
            }
        }
    }
    out
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// FNV-1a (64-bit) over a sequence of texts, each followed by a 0 byte,
/// usable at compile time. A generated file records the fingerprint of the
/// sources it was made from, and a `const` assertion beside its `mod`
/// compares that with the sources being compiled. A build with a stale
/// generated file then fails to compile, instead of shipping a tree or a
/// template that disagrees with its text. It is not a security boundary:
/// it only catches a forgotten regeneration.
#[derive(Debug, Clone, Copy)]
pub struct Fingerprint(u64);

/// Whether this build was made to regenerate the generated files
/// (`PAASC_REGEN` set when it was compiled). Such a build compiles despite
/// a stale fingerprint, and its tests rewrite the files instead of
/// comparing them: the binary still holds the old code, so only the next,
/// plain `cargo test` can check the new.
pub const REGENERATING: bool = option_env!("PAASC_REGEN").is_some();

impl Fingerprint {
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    pub const fn new() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }

    pub const fn add(self, text: &str) -> Self {
        let mut h = self.0;
        let mut bytes = text.as_bytes();
        while let [b, rest @ ..] = bytes {
            h = (h ^ *b as u64).wrapping_mul(Self::PRIME);
            bytes = rest;
        }
        Fingerprint(h.wrapping_mul(Self::PRIME))
    }

    pub const fn value(self) -> u64 {
        self.0
    }
}

impl Default for Fingerprint {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digest() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn fingerprint_is_fnv1a_and_keeps_texts_apart() {
        use super::Fingerprint;
        let of = |texts: &[&str]| {
            texts
                .iter()
                .fold(Fingerprint::new(), |f, t| f.add(t))
                .value()
        };
        // Nothing: the FNV-1a offset basis. FNV-1a 64 of "a" is
        // 0xaf63dc4c8601ec8c; of "a\0" (a text and its end), this:
        assert_eq!(of(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(of(&["a"]), 0x089b_e207_b544_f1e4);
        assert_ne!(of(&["ab", "c"]), of(&["a", "bc"]));
    }
}
