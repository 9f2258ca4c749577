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
            throw InputError("\(option): unknown Xen version '\(parts[0])' (\(XenVersion.first) to \(XenVersion.newestRelease), or head)")
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
            if inferred.version != .head, inferred.version.branch.map({ $0 == (4, 16) }) ?? false {
                unknowns.append("simulate differs on 4.12.0 (sendv on a full ring)")
            }
            if arch == nil { unknowns.append("on arm the default XSM module is SILO") }
            let assumed = XenProfile(version: version, flavour: flavour, arch: arch ?? .x86, xsmBuild: table.xsmBuild ?? .default)
            note = "argus: note: assuming \(assumed): \(inferred.reason); \(unknowns.joined(separator: "; "))"
        }
        let profile = XenProfile(version: version, flavour: flavour, arch: arch ?? .x86, xsmBuild: table.xsmBuild ?? .default)
        guard let definitions = FlaskDefinitions.xen(release: version.definitionsRelease) else {
            throw InputError("Argus has no FLASK definitions for Xen \(version)")
        }
        return SelectedXen(profile: profile, definitions: definitions, hostCommandLine: xlInfo?.commandLine,
                           basis: basis.joined(separator: ", "), note: note)
    }

    /// The Xen the policy itself points at: a source tree's (or `--flask-dir`'s)
    /// `initial_sids` with or without `xenboot` (inserted at 1 by Xen 4.17.0); a binary's
    /// highest initial SID (one fewer before 4.17.0). Head when nothing says otherwise.
    static func infer(policyPath: String, flaskDirectory: String?) -> (version: XenVersion, reason: String) {
        let beforeXenboot = XenVersion.release(major: 4, minor: 16, patch: 7)
        let headCount = FlaskDefinitions.xenDefault.initialSIDs.count
        if let names = ownInitialSIDNames(policyPath: policyPath, flaskDirectory: flaskDirectory) {
            if names.names.contains("xenboot") {
                return (.head, "\(names.file) has the xenboot initial SID (Xen 4.17.0 or later)")
            }
            return (beforeXenboot, "\(names.file) has no xenboot initial SID (Xen 4.12.0 to 4.16.x number alike)")
        }
        if let count = binaryInitialSIDCount(policyPath), count > 0 {
            if count == headCount - 1 {
                return (beforeXenboot, "the binary labels \(count) initial SIDs (Xen 4.12.0 to 4.16.x have \(count))")
            }
            return (.head, "the binary labels \(count) initial SIDs, as Xen 4.17.0 and later number them")
        }
        return (.head, "nothing in the policy names an older Xen")
    }

    /// The `initial_sids` a source tree is built with: `--flask-dir`, else the one beside it.
    public static func ownInitialSIDNames(policyPath: String, flaskDirectory: String?) -> (names: [String], file: String)? {
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
        guard let directory else { return nil }
        let file = directory.appendingPathComponent("initial_sids").path
        guard let definitions = try? FlaskDefinitions.load(directory: directory.path) else { return nil }
        return (definitions.initialSIDNames, file)
    }

    /// The highest initial SID a binary policy labels, read without compiling anything.
    static func binaryInitialSIDCount(_ path: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 4 else { return nil }
        let bytes = [UInt8](data)
        guard PolicyLoader.littleEndianWord(bytes, 0) == 0xf97c_ff8c else { return nil }
        guard let policy = try? PolicyLoader(initialSIDNames: []).loadBinary(bytes, path: path) else { return nil }
        return Int(policy.highestInitialSID)
    }
}
