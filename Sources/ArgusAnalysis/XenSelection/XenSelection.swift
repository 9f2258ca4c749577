import Flask
import Foundation
import XenProfile

/// What the command line says about which Xen (`--xen`, `--arch`, `--xl-info`).
public struct XenRequest: Sendable, Equatable {
    /// `VERSION[+FLAVOUR]`: `4.16.0`, `head`, `4.21.0+openxt`.
    public var xen: String?
    public var arch: String?
    public var xlInfo: String?

    public init(xen: String? = nil, arch: String? = nil, xlInfo: String? = nil) {
        self.xen = xen
        self.arch = arch
        self.xlInfo = xlInfo
    }
}

/// The Xen a prediction is for, with the definitions it numbers by and how it was chosen.
public struct SelectedXen: Sendable {
    public var profile: XenProfile
    /// The FLASK definitions of that Xen: initial SIDs are looked up by these numbers.
    public var definitions: FlaskDefinitions
    /// From `xl info`: the command line the host booted with.
    public var hostCommandLine: String?
    /// How the profile was chosen, in words ("--xen 4.16.0", "inferred: ...").
    public var basis: String
    /// Nothing said which Xen: the one line to print on standard error.
    public var note: String?
}

/// Builds the profile from what the user said, else infers it from the policy, loudly.
public enum XenSelection {
    /// Reads `VERSION[+FLAVOUR]`.
    public static func parseSpelling(_ text: String, option: String = "--xen") throws(InputError) -> (XenVersion, XenFlavour?) {
        let parts = text.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let version = XenVersion(parsing: parts[0]), version.isKnown else {
            throw InputError("\(option): unknown Xen version '\(parts[0])' (\(XenVersion.first) to \(XenVersion.newestRelease), head, or v2-series)")
        }
        var flavour: XenFlavour?
        if parts.count == 2 {
            guard let f = XenFlavour(rawValue: parts[1]) else {
                throw InputError("\(option): unknown flavour '\(parts[1])' (upstream or openxt)")
            }
            flavour = f
        }
        return (version, flavour)
    }

    /// The profile: `--xen`/`--arch` first, then the system file's `[xen]`, then `xl info`
    /// (from `--xl-info` or `[xen] xl_info`), then what the policy at `policyPath` says
    /// (its own definitions, or a binary's initial SID count), then head.
    public static func select(
        _ request: XenRequest, table: XenTable, systemFile: String,
        policyPath: String, flaskDirectory: String?
    ) throws(InputError) -> SelectedXen {
        var xlInfo: XLInfo?
        if let path = request.xlInfo ?? table.xlInfo { xlInfo = try XLInfo.load(path) }
        var stated: (XenVersion, XenFlavour?)?
        var basis: [String] = []
        if let xen = request.xen {
            stated = try parseSpelling(xen)
            basis.append("--xen \(xen)")
        } else if let v = table.version {
            stated = (v, table.flavour)
            basis.append("[xen] of the system file")
        } else if let xlInfo {
            stated = (xlInfo.version, nil)
            basis.append("xen_version \(xlInfo.versionText) of xl info")
        }
        var arch = table.arch ?? xlInfo?.arch
        if let a = request.arch {
            guard let parsed = XenArch(rawValue: a) else { throw InputError("--arch must be x86 or arm, not '\(a)'") }
            arch = parsed
        }
        let flavour = stated?.1 ?? table.flavour ?? .upstream

        var note: String?
        let version: XenVersion
        if let stated {
            version = stated.0
        } else {
            let inferred = infer(policyPath: policyPath, flaskDirectory: flaskDirectory)
            version = inferred.version
            basis.append("inferred: \(inferred.reason)")
            var unknowns = ["say --xen VERSION to choose"]
            if inferred.version.branch.map({ $0 == (4, 12) }) ?? false, inferred.version != XenVersion.first {
                unknowns.append("simulate differs on 4.12.0 (sendv on a full ring)")
            }
            if arch == nil { unknowns.append("on arm the default XSM module is SILO") }
            let assumed = XenProfile(version: version, flavour: flavour, arch: arch ?? .x86, xsmBuild: table.xsmBuild ?? .default)
            note = "argus: note: assuming \(assumed): \(inferred.reason); \(unknowns.joined(separator: "; "))"
        }
        let profile = XenProfile(version: version, flavour: flavour, arch: arch ?? .x86, xsmBuild: table.xsmBuild ?? .default)
        if let reason = profile.notModelled { throw InputError(reason) }
        guard let definitions = FlaskDefinitions.xen(release: version.definitionsRelease) else {
            throw InputError("Argus has no FLASK definitions for Xen \(version)")
        }
        return SelectedXen(profile: profile, definitions: definitions, hostCommandLine: xlInfo?.commandLine,
                           basis: basis.joined(separator: ", "), note: note)
    }

    /// The Xen the policy itself points at. A source tree's own definitions (or
    /// `--flask-dir`'s) are matched against every release's: the newest release with exactly
    /// those classes, permissions and initial SIDs is chosen, and the range of releases that
    /// match is said. A binary is matched by the releases it would load on with its number of
    /// initial SIDs. Without a match, `xenboot` (inserted at 1 by Xen 4.17.0) decides between
    /// 4.16.7 and head. Head when nothing says otherwise.
    static func infer(policyPath: String, flaskDirectory: String?) -> (version: XenVersion, reason: String) {
        let beforeXenboot = XenVersion.release(major: 4, minor: 16, patch: 7)
        let headCount = FlaskDefinitions.xenDefault.initialSIDs.count
        if let own = ownDefinitions(policyPath: policyPath, flaskDirectory: flaskDirectory) {
            let signature = Self.signature(own.definitions)
            let matching = versions(whoseDefinitionsPass: { Self.signature($0) == signature })
            if let newest = matching.last {
                return (newest, "\(own.directory) holds the definitions of Xen \(Self.range(matching))")
            }
            if own.definitions.initialSIDNames.contains("xenboot") {
                return (.head, "\(own.directory)/initial_sids has the xenboot initial SID (Xen 4.17.0 or later); its classes and permissions match no release")
            }
            return (beforeXenboot, "\(own.directory)/initial_sids has no xenboot initial SID (Xen 4.12.0 to 4.16.x); its classes and permissions match no release")
        }
        if let policy = binaryPolicy(policyPath) {
            let count = Int(policy.highestInitialSID)
            let matching = versions(whoseDefinitionsPass: { d in
                d.initialSIDs.count == count && !PolicyValidation(policy: policy, definitions: d).problems.contains(where: \.refusesLoad)
            })
            if let newest = matching.last {
                return (newest, "the binary loads on Xen \(Self.range(matching)) (its classes, permissions and \(count) initial SIDs)")
            }
            if count == headCount - 1 {
                return (beforeXenboot, "the binary labels \(count) initial SIDs (Xen 4.12.0 to 4.16.x have \(count))")
            }
            return (.head, "the binary labels \(count) initial SIDs, as Xen 4.17.0 and later number them")
        }
        return (.head, "nothing in the policy names an older Xen")
    }

    /// The versions of `XenVersion.all` (in its order) whose definitions pass `test`, which is
    /// asked once per distinct definitions (`FlaskDefinitions.xenReleaseGroups`), not per version.
    static func versions(whoseDefinitionsPass test: (FlaskDefinitions) -> Bool) -> [XenVersion] {
        var passing: Set<String> = []
        for group in FlaskDefinitions.xenReleaseGroups where test(group.definitions) { passing.formUnion(group.releases) }
        return XenVersion.all.filter { passing.contains($0.definitionsRelease) }
    }

    /// What decides whether two definitions are the same Xen's: class names, each class's
    /// permissions in bit order, and the initial SIDs in number order.
    static func signature(_ d: FlaskDefinitions) -> [String] {
        d.classes.map { c in c.name + ":" + c.permissions.sorted { $0.mask < $1.mask }.map(\.name).joined(separator: ",") }
            + ["sids:" + d.initialSIDNames.joined(separator: ",")]
    }

    /// "4.12.0 to 4.12.4", "4.16.0 to 4.16.7 and head", or one version.
    static func range(_ versions: [XenVersion]) -> String {
        var runs: [[XenVersion]] = []
        for v in versions {
            if let last = runs.last?.last, let i = XenVersion.all.firstIndex(of: last), XenVersion.all.indices.contains(i + 1),
               XenVersion.all[i + 1] == v {
                runs[runs.count - 1].append(v)
            } else {
                runs.append([v])
            }
        }
        let parts = runs.map { $0.count == 1 ? "\($0[0])" : "\($0[0]) to \($0[$0.count - 1])" }
        return parts.count <= 1 ? (parts.first ?? "") : parts.dropLast().joined(separator: ", ") + " and " + parts[parts.count - 1]
    }

    /// The definitions a source tree is built with: `--flask-dir`, else the ones beside it.
    static func ownDefinitions(policyPath: String, flaskDirectory: String?) -> (definitions: FlaskDefinitions, directory: String)? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: policyPath, isDirectory: &isDirectory) else { return nil }
        let directory: URL?
        if let flaskDirectory {
            directory = URL(fileURLWithPath: flaskDirectory)
        } else if isDirectory.boolValue {
            directory = PolicyLoader(initialSIDNames: []).definitionsDirectory(forTree: URL(fileURLWithPath: policyPath))
        } else {
            directory = nil
        }
        guard let directory, let definitions = try? FlaskDefinitions.load(directory: directory.path) else { return nil }
        return (definitions, directory.path)
    }

    /// The `initial_sids` a source tree is built with: `--flask-dir`, else the one beside it.
    public static func ownInitialSIDNames(policyPath: String, flaskDirectory: String?) -> (names: [String], file: String)? {
        ownDefinitions(policyPath: policyPath, flaskDirectory: flaskDirectory).map { ($0.definitions.initialSIDNames, $0.directory + "/initial_sids") }
    }

    /// A binary policy, read without compiling anything (nil for anything else).
    static func binaryPolicy(_ path: String) -> Policy? {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 4 else { return nil }
        let bytes = [UInt8](data)
        guard PolicyLoader.littleEndianWord(bytes, 0) == 0xf97c_ff8c else { return nil }
        return try? PolicyLoader(initialSIDNames: []).loadBinary(bytes, path: path)
    }
}
