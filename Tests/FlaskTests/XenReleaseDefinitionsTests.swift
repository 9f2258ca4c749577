import Flask
import Foundation
import TestSupport
import Testing

/// `FlaskDefinitions.xen(release:)`: Xen's own definitions for every release with Argo,
/// checked against the numbers in the headers Xen's build generates for each tag.
@Suite struct XenReleaseDefinitionsTests {
    /// The RELEASE-x.y.z tags upstream: the newest point release of each branch.
    static let newestPointRelease: [(branch: String, patch: Int)] = [
        ("4.12", 4), ("4.13", 5), ("4.14", 6), ("4.15", 7), ("4.16", 7), ("4.17", 7),
        ("4.18", 6), ("4.19", 6), ("4.20", 4), ("4.21", 2), ("4.22", 0),
    ]

    @Test func releasesAreEveryTagOldestFirstThenHead() {
        let expected = Self.newestPointRelease.flatMap { entry in (0...entry.patch).map { "\(entry.branch).\($0)" } } + ["head"]
        #expect(FlaskDefinitions.xenReleases == expected)
        #expect(FlaskDefinitions.xenReleases.count == 66)
        let numbers = FlaskDefinitions.xenReleases.dropLast().map { $0.split(separator: ".").map { Int($0)! } }
        for (older, newer) in zip(numbers, numbers.dropFirst()) {
            #expect(older.lexicographicallyPrecedes(newer), "\(older) is not before \(newer)")
        }
    }

    @Test func factsCoverEveryReleaseOnce() {
        let covered = XenGeneratedHeaderFacts.all.flatMap(\.releases)
        #expect(covered.count == Set(covered).count, "a release has two entries")
        #expect(Set(covered) == Set(FlaskDefinitions.xenReleases))
    }

    @Test(arguments: XenGeneratedHeaderFacts.all)
    func definitionsMatchXenGeneratedHeaders(_ facts: HeaderFacts) throws {
        #expect(!facts.releases.isEmpty)
        for release in facts.releases {
            let definitions = try #require(FlaskDefinitions.xen(release: release), "\(release)")
            let macros = try Self.macros(in: definitions.cHeader())
            #expect(definitions.classes.map(\.name) == XenGeneratedHeaderFacts.classes, "\(release)")
            #expect(definitions.initialSIDs.map(\.name) == facts.initialSIDs, "\(release)")
            for (index, name) in facts.initialSIDs.enumerated() {
                #expect(macros["SECINITSID_" + name.uppercased()] == UInt64(index + 1), "\(release) \(name)")
            }
            var counts: [String: Int] = [:]
            for securityClass in definitions.classes { counts[securityClass.name] = securityClass.permissions.count }
            #expect(counts == facts.permissionCounts, "\(release)")
            for (name, value) in facts.macros {
                #expect(macros[name] == UInt64(value), "\(release) \(name)")
            }
            #expect(macros.count == facts.macroCount, "\(release)")
            #expect(Self.digest(macros) == facts.digest, "\(release): some macro differs from Xen's headers")
        }
    }

    @Test func headIsTheBuiltInCopyAndTheNewestRelease() throws {
        #expect(FlaskDefinitions.xen(release: "head") == FlaskDefinitions.xenDefault)
        // Upstream master has not changed the definitions since 4.22.0.
        #expect(FlaskDefinitions.xen(release: "4.22.0") == FlaskDefinitions.xenDefault)
        #expect(FlaskDefinitions.xen(release: "4.21.2") != FlaskDefinitions.xenDefault)
    }

    @Test func xenInitialSIDMovesFrom1To2In4170() throws {
        for release in FlaskDefinitions.xenReleases {
            let definitions = try #require(FlaskDefinitions.xen(release: release))
            let isOld = ["4.12", "4.13", "4.14", "4.15", "4.16"].contains(String(release.prefix(4)))
            #expect(definitions.initialSID(named: "xen")?.value == (isOld ? 1 : 2), "\(release)")
            #expect((definitions.initialSID(named: "xenboot") == nil) == isOld, "\(release)")
            #expect(definitions.class(named: "argo")?.value == 13, "\(release)")
            #expect(definitions.permissionMask("send", in: "argo") == 0x8, "\(release)")
        }
    }

    /// Every release's C header, read back, gives the numbers of the model it came from.
    @Test func everyReleaseReadsBackThroughItsCHeader() throws {
        for release in FlaskDefinitions.xenReleases {
            let definitions = try #require(FlaskDefinitions.xen(release: release))
            let macros = try Self.macros(in: definitions.cHeader())
            var expected: [String: UInt64] = ["SECINITSID_NUM": UInt64(definitions.initialSIDs.count)]
            for securityClass in definitions.classes {
                expected["SECCLASS_" + securityClass.name.uppercased()] = UInt64(securityClass.value)
                for permission in securityClass.permissions {
                    expected[securityClass.name.uppercased() + "__" + permission.name.uppercased()] = UInt64(permission.mask)
                }
                #expect(securityClass.permissions.map(\.mask) == (0..<securityClass.permissions.count).map { UInt32(1) << UInt32($0) },
                        "\(release) \(securityClass.name)")
            }
            for sid in definitions.initialSIDs { expected["SECINITSID_" + sid.name.uppercased()] = UInt64(sid.value) }
            #expect(definitions.initialSIDs.map(\.value) == (1...UInt32(definitions.initialSIDs.count)).map { $0 })
            #expect(macros == expected, "\(release)")
        }
    }

    @Test(arguments: ["", "head ", "HEAD", "master", "4.11.0", "4.12.5", "4.13.6", "4.22.1", "4.23.0", "5.0.0",
                      "4.12", "4.12.0.0", "04.12.0", "4.12.00", "RELEASE-4.12.0", " 4.12.0", "4.12.0 ", "4.12.-0",
                      "+4.12.0", "4..12.0", "4.12.0\n", "４.12.0"])
    func unknownReleaseIsNil(_ release: String) {
        #expect(FlaskDefinitions.xen(release: release) == nil)
    }

    /// The groups Xen inference walks hold every release once, in order, each with exactly
    /// `xen(release:)`'s definitions.
    @Test func releaseGroupsAreTheReleasesWithTheirOwnDefinitions() throws {
        let groups = FlaskDefinitions.xenReleaseGroups
        #expect(groups.flatMap(\.releases).sorted() == FlaskDefinitions.xenReleases.sorted())
        for group in groups {
            #expect(group.releases == FlaskDefinitions.xenReleases.filter { group.releases.contains($0) })
            for release in group.releases { #expect(FlaskDefinitions.xen(release: release) == group.definitions, "\(release)") }
        }
        #expect(groups.first?.releases.first == "4.12.0")
        #expect(groups.contains { $0.releases.contains("head") && $0.definitions == FlaskDefinitions.xenDefault })
    }

    @Test func changesCountFromTheirFirstReleaseAndBackports() throws {
        let history = FlaskDefinitions.xenDefinitionHistory
        let xenboot = try #require(history.first { $0.since == "4.17.0" && $0.commits.contains("a0bb0960e5") })
        #expect(xenboot.isContained(in: "4.16.7") == false)
        #expect(xenboot.isContained(in: "4.17.0") == true)
        #expect(xenboot.isContained(in: "head") == true)
        #expect(xenboot.isContained(in: "4.16.8") == nil)
        let vuart = try #require(history.first { $0.commits.first == "29daa72e40" })
        #expect(["4.18.4", "4.18.5", "4.19.1", "4.19.2", "4.20.0", "4.17.7"].map { vuart.isContained(in: $0) }
                == [false, true, false, true, true, false])
        #expect(try #require(FlaskDefinitions.xen(release: "4.18.5")).permissionMask("vuart_op", in: "domain2") == 1 << 23)
        #expect(try #require(FlaskDefinitions.xen(release: "4.18.4")).permissionMask("vuart_op", in: "domain2") == nil)
        for change in history {
            #expect(change.isContained(in: change.since) == true)
            for backport in change.backports { #expect(change.isContained(in: backport) == true) }
        }
    }

    /// Undoing goes newest first, so the history must be in the order the changes were made.
    @Test func historyIsOldestFirstAndNamesKnownReleases() {
        let history = FlaskDefinitions.xenDefinitionHistory
        #expect(history.count == 14)
        let releases = FlaskDefinitions.xenReleases
        for change in history {
            #expect(releases.contains(change.since) && change.since.hasSuffix(".0"), "\(change.since)")
            for backport in change.backports {
                #expect(releases.contains(backport) && !backport.hasSuffix(".0"), "\(backport)")
            }
            #expect(!change.commits.isEmpty && !change.reason.isEmpty)
        }
        let order = history.map { releases.firstIndex(of: $0.since) ?? -1 }
        #expect(order == order.sorted())
    }

    /// A name head no longer has is located at the history entry that brings it back.
    @Test func removedNamesPointAtTheirHistoryEntry() throws {
        let old = try #require(FlaskDefinitions.xen(release: "4.12.0"))
        let source = try String(contentsOf: Golden.packageRoot.appendingPathComponent(
            "Sources/Flask/Definitions/XenDefinitionHistory.swift"), encoding: .utf8)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        for (className, name) in [("xen", "tmem_op"), ("xen", "privprofile"), ("xen2", "set_parameter"),
                                  ("hvm", "nested"), ("domain2", "set_cpuid")] {
            let permission = try #require(old.class(named: className)?.permission(named: name), "\(name)")
            #expect(permission.location.file == "Sources/Flask/Definitions/XenDefinitionHistory.swift")
            let line = try #require(permission.location.line)
            let entry = lines[(line - 1)..<min(line + 2, lines.count)].joined(separator: "\n")
            #expect(entry.contains("\"\(name)\""), "\(name) at line \(line)")
        }
        // Names head still has keep their place in policy/flask.
        #expect(old.class(named: "argo")?.permission(named: "send")?.location.file == "policy/flask/access_vectors")
    }

    // MARK: - helpers

    /// `#define NAME VALUE` lines of a C header: plain numbers and `(1UL << n)`.
    static func macros(in header: String) throws -> [String: UInt64] {
        var macros: [String: UInt64] = [:]
        for line in header.split(separator: "\n") where line.hasPrefix("#define ") {
            let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard words.count == 3 else { continue }
            let name = String(words[1]), text = words[2].trimmingCharacters(in: .whitespaces)
            let value: UInt64
            if text.hasPrefix("(1UL << "), text.hasSuffix(")"), let bit = UInt64(text.dropFirst(8).dropLast()) {
                value = 1 << bit
            } else {
                value = try #require(UInt64(text), "\(line)")
            }
            #expect(macros.updateValue(value, forKey: name) == nil, "duplicate \(name)")
        }
        return macros
    }

    /// FNV-1a, 64 bits, over "NAME VALUE\n" lines sorted by bytes (see `HeaderFacts`).
    static func digest(_ macros: [String: UInt64]) -> UInt64 {
        let lines = macros.map { "\($0.key) \($0.value)\n" }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in lines.joined().utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
