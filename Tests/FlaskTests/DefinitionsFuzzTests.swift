import Flask
import Foundation
import TestSupport
import Testing

/// Thousands of seeded random manglings of the definitions files: the parser must never
/// crash or hang, and must either succeed with consistent numbering or throw an
/// `InputError` that names file, line and column inside the file.
@Suite struct DefinitionsFuzzTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce from the seed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    typealias Files = [[UInt8]]  // security_classes, access_vectors, initial_sids
    static let fileNames = ["security_classes", "access_vectors", "initial_sids"]

    static let seeds: [Files] = [
        [XenDefaultDefinitionText.securityClasses, XenDefaultDefinitionText.accessVectors,
         XenDefaultDefinitionText.initialSIDs].map { Array($0.utf8) },
        ["class file\nclass dir\nclass sock\n",
         "common file_ops\n{\n read\n write\n}\nclass file inherits file_ops\nclass dir inherits file_ops { search }\nclass sock { bind }\n",
         "sid kernel\nsid unlabeled\n"].map { Array($0.utf8) },
    ]

    static let fragments: [[UInt8]] = [
        "class", "common", "inherits", "sid", "{", "}", "#", "\n", " ", "\t", "x", "argo", "send", "\u{0}", "\r\n",
    ].map { Array($0.utf8) }

    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    }

    static func joined(_ lines: [ArraySlice<UInt8>]) -> [UInt8] {
        Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }

    static func mutate(_ file: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = file
        switch Int.random(in: 0..<8, using: &random) {
        case 0:  // delete a line
            var all = lines(bytes)
            all.remove(at: Int.random(in: 0..<all.count, using: &random))
            bytes = joined(all)
        case 1:  // duplicate a line
            var all = lines(bytes)
            let index = Int.random(in: 0..<all.count, using: &random)
            all.insert(all[index], at: Int.random(in: 0...all.count, using: &random))
            bytes = joined(all)
        case 2:  // swap two lines
            var all = lines(bytes)
            all.swapAt(Int.random(in: 0..<all.count, using: &random), Int.random(in: 0..<all.count, using: &random))
            bytes = joined(all)
        case 3:  // random bytes somewhere
            let noise = (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            bytes.insert(contentsOf: noise, at: Int.random(in: 0...bytes.count, using: &random))
        case 4:  // overwrite one byte
            if !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
        case 5:  // truncate
            bytes.removeLast(Int.random(in: 0...bytes.count, using: &random))
        case 6:  // a keyword, brace or other fragment somewhere
            let fragment = fragments[Int.random(in: 0..<fragments.count, using: &random)]
            bytes.insert(contentsOf: fragment, at: Int.random(in: 0...bytes.count, using: &random))
        default:  // delete a run of bytes
            if !bytes.isEmpty {
                let start = Int.random(in: 0..<bytes.count, using: &random)
                bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...16, using: &random)))
            }
        }
        return bytes
    }

    @Test(.timeLimit(.minutes(2)))
    func mangledFilesParseOrFailWithALocation() {
        var random = SplitMix64(seed: 0xA26_0515)
        let iterations = 4000
        var parsed = 0
        var rejected = 0
        for iteration in 0..<iterations {
            var files = Self.seeds[iteration % Self.seeds.count]
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let which = Int.random(in: 0..<3, using: &random)
                files[which] = Self.mutate(files[which], using: &random)
            }
            do {
                let definitions = try FlaskDefinitions.parse(
                    securityClasses: files[0], accessVectors: files[1], initialSIDs: files[2])
                Self.checkConsistent(definitions, iteration: iteration)
                parsed += 1
            } catch {
                rejected += 1
                guard let location = error.location, let line = location.line, let column = location.column else {
                    Issue.record("iteration \(iteration): error without line and column: \(error)")
                    continue
                }
                guard let index = Self.fileNames.firstIndex(of: location.file) else {
                    Issue.record("iteration \(iteration): error names unknown file: \(error)")
                    continue
                }
                let lineCount = Self.lines(files[index]).count
                #expect((1...lineCount).contains(line), "iteration \(iteration): \(error)")
                #expect(column >= 1, "iteration \(iteration): \(error)")
                #expect(!error.description.contains("\n"), "iteration \(iteration): multi-line diagnostic")
            }
        }
        // Both outcomes must actually be exercised.
        #expect(parsed > 100)
        #expect(rejected > 100)
    }

    static func checkConsistent(_ definitions: FlaskDefinitions, iteration: Int) {
        #expect(definitions.classes.map(\.value) == (0..<definitions.classes.count).map { UInt16($0 + 1) },
                "iteration \(iteration)")
        #expect(definitions.initialSIDs.map(\.value) == (0..<definitions.initialSIDs.count).map { UInt32($0 + 1) },
                "iteration \(iteration)")
        #expect(!definitions.initialSIDs.isEmpty, "iteration \(iteration)")
        for securityClass in definitions.classes {
            #expect(securityClass.permissions.count <= 32, "iteration \(iteration)")
            #expect(securityClass.permissions.enumerated().allSatisfy { $1.mask == UInt32(1) << UInt32($0) },
                    "iteration \(iteration)")
            #expect(Set(securityClass.permissions.map(\.name)).count == securityClass.permissions.count,
                    "iteration \(iteration)")
        }
    }

    /// A control character (NUL included) anywhere, comments too, is never accepted: the
    /// error names its file, line and column; CRLF line ends keep every line number.
    @Test func controlCharactersAnywhereAreRefusedAtTheirPlace() throws {
        var random = SplitMix64(seed: 0xC0_7401)
        let controls: [UInt8] = [0x00, 0x01, 0x07, 0x08, 0x0B, 0x0C, 0x1B, 0x1F, 0x7F, UInt8(ascii: "\r")]
        for iteration in 0..<600 {
            var files = Self.seeds[iteration % Self.seeds.count]
            if iteration % 2 == 1 {
                // CRLF everywhere first: the error must still be on the same line.
                files = files.map { Array(String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8) }
            }
            let which = Int.random(in: 0..<3, using: &random)
            let at = Int.random(in: 0...files[which].count, using: &random)
            let byte = controls[Int.random(in: 0..<controls.count, using: &random)]
            files[which].insert(byte, at: at)
            let expectedLine = files[which][..<at].count(where: { $0 == UInt8(ascii: "\n") }) + 1
            let lineStart = files[which][..<at].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            do {
                _ = try FlaskDefinitions.parse(securityClasses: files[0], accessVectors: files[1], initialSIDs: files[2])
                // A CR inserted just before an LF makes a valid CRLF: the only acceptable success.
                let becameCRLF = byte == UInt8(ascii: "\r") && at < files[which].count - 1 && files[which][at + 1] == UInt8(ascii: "\n")
                #expect(becameCRLF, "iteration \(iteration): control byte \(byte) accepted")
            } catch {
                #expect(error.location?.file == Self.fileNames[which], "iteration \(iteration): \(error)")
                #expect(error.location?.line == expectedLine, "iteration \(iteration): \(error)")
                // Inserted between a CR and its LF, the CR is now the first refused byte.
                let splitPair = at > 0 && files[which][at - 1] == UInt8(ascii: "\r")
                #expect(error.location?.column == at - lineStart + (splitPair ? 0 : 1), "iteration \(iteration): \(error)")
                #expect(!error.description.contains("\n") && !error.description.contains("\r"))
            }
        }
    }

    @Test func randomBytesAloneNeverCrash() {
        var random = SplitMix64(seed: 42)
        for iteration in 0..<2000 {
            let noise = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            for which in 0..<3 {
                do {
                    switch which {
                    case 0: _ = try FlaskDefinitionsParser.parseSecurityClasses(bytes: noise, file: "f")
                    case 1: _ = try FlaskDefinitionsParser.parseAccessVectors(bytes: noise, file: "f")
                    default: _ = try FlaskDefinitionsParser.parseInitialSIDs(bytes: noise, file: "f")
                    }
                } catch {
                    #expect(error.location?.line != nil && error.location?.column != nil, "iteration \(iteration)")
                }
            }
        }
    }
}
