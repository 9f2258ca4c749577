import Testing
@testable import Flask
import TestSupport

/// `Policy.contextFields` splits ASCII labels on bytes: it must give what splitting the
/// `Character`s at the first three colons gives, for every string.
@Suite struct ContextFieldsTests {
    func reference(_ text: String) -> [String] {
        text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
    }

    @Test func fixedCases() {
        let cases = ["", ":", "::::", "a", "a:b", "u:r:t", "u:r:t:s0", "u:r:t:s0:c0.c3", "u:r:t:s0-s1:c0,c2",
                     ":r:t", "u::t", "u:r:", "system_u:system_r:dom0_t", "u:r:t\u{301}", "u:\u{301}r:t", "é:r:t:s0:c1"]
        for c in cases { #expect(Policy.contextFields(c) == reference(c), "\(c.debugDescription)") }
    }

    @Test func randomStrings() {
        // Colons, letters, and (sometimes) a combining mark that joins a colon into one Character.
        let alphabet: [String] = [":", ":", ":", "a", "b", "_", "0", "-", ".", ",", "é", "\u{301}", " "]
        var rng = SplitMix64(seed: 44)
        for round in 0..<20_000 {
            let ascii = round % 2 == 0
            let length = rng.below(14)
            var s = ""
            for _ in 0..<length {
                let piece = alphabet[rng.below(ascii ? alphabet.count - 3 : alphabet.count)]
                s += piece
            }
            #expect(Policy.contextFields(s) == reference(s), "\(s.debugDescription)")
        }
    }
}
