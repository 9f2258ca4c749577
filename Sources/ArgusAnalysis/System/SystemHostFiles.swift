import Flask
import Foundation
import XenProfile

/// Where a domain of the system file came from: an xl config (whose stub domain may follow it)
/// and whether its domid was stated.
struct DomainSource {
    var config: XLConfig?
    var domidGiven: Bool
}

extension DomainSpec {
    /// Takes the labels, uuid and type of the domain's xl config, as xl_parse.c reads them:
    /// `init_seclabel` is the label at creation and `seclabel` the label after the build (the
    /// system file's `label`, when given, replaces `seclabel`); `init_seclabel` alone stays
    /// the label (xl relabels only when both are given); neither gives libxl's default, the
    /// policy's `domU` initial SID.
    mutating func apply(_ config: XLConfig, labelGiven: Bool) {
        guestType = config.type
        if uuid == nil { uuid = config.uuid }
        if !labelGiven {
            if let seclabel = config.seclabel {
                label = seclabel
                labelLocation = config.seclabelLocation
            } else if let initial = config.initSeclabel {
                label = initial
                labelLocation = config.initSeclabelLocation
                return
            } else {
                label = ""
                initialSIDLabel = "domU"
                labelLocation = config.nameLocation ?? SourceLocation(file: config.path)
                return
            }
        }
        if let initial = config.initSeclabel, initial != label {
            buildLabel = initial
            buildLabelLocation = config.initSeclabelLocation
        }
    }
}

extension SystemInventory {
    /// Reads the xl config `value` names (relative to the system file); a config that cannot
    /// be read at all is reported at `place`, where the system file names it.
    static func loadXLConfig(_ doc: TOMLDocument, _ value: String, baseDirectory: URL, at place: SourceLocation) throws(InputError) -> XLConfig {
        let path = value.hasPrefix("/") ? value : baseDirectory.appendingPathComponent(value).path
        do { return try XLConfig.load(path) } catch where error.location?.line == nil {
            throw InputError("xl config '\(value)': \(error.message)", at: place)
        }
    }

    /// The domains the system file lists as host files: the top-level `xl = [...]` configs,
    /// then every `*.cfg` of `xl_dir` in name order, then `[host] xl_list`; the stub domains the
    /// xl configs ask for; then domids for the domains that have none (`assignDomids`).
    static func addHostDomains(_ doc: TOMLDocument, baseDirectory: URL, domains: inout [DomainSpec],
                               sources: inout [DomainSource], names: inout [String: Int]) throws(InputError) {
        var configs: [(XLConfig, SourceLocation)] = []
        if let entry = doc.root.entry("xl") {
            guard let array = entry.value.arrayWithPositions else {
                throw InputError("'xl' must be an array of xl config paths, not \(entry.value.kindDescription)", at: doc.location(entry.valuePosition))
            }
            for (element, position) in zip(array.elements, array.positions) {
                let place = doc.location(position)
                guard let value = element.string else { throw InputError("'xl' must hold strings, not \(element.kindDescription)", at: place) }
                if let bad = value.unicodeScalars.first(where: TOMLDocument.isControl) {
                    throw InputError("'xl' contains control character \(TOMLDocument.codePoint(bad))", at: place)
                }
                configs.append((try loadXLConfig(doc, value, baseDirectory: baseDirectory, at: place), place))
            }
        }
        if let directory = try doc.string(doc.root, "xl_dir", in: "") {
            let place = doc.location(table: "", key: "xl_dir")
            for file in try configFiles(in: directory, baseDirectory: baseDirectory, at: place) {
                configs.append((try loadXLConfig(doc, file, baseDirectory: baseDirectory, at: place), place))
            }
        }
        for (config, place) in configs {
            guard let name = config.name else { throw InputError("no 'name' in the xl config (xl requires one)", file: config.path) }
            var spec = DomainSpec(name: name, domid: 0, label: "", location: config.nameLocation ?? place, createdBeforePolicy: false)
            spec.apply(config, labelGiven: false)
            try add(spec, to: &domains, names: &names)
            sources.append(DomainSource(config: config, domidGiven: false))
        }
        if let host = try doc.optionalTable("host") {
            try doc.checkKeys(host, allowed: ["xl_list"], name: "host")
            if let file = try doc.string(host, "xl_list", in: "host") {
                let path = file.hasPrefix("/") ? file : baseDirectory.appendingPathComponent(file).path
                let listed: [DomainSpec]
                do { listed = try XLList.load(path) } catch where error.location?.line == nil {
                    throw doc.error("xl list file '\(file)': \(error.message)", table: "host", key: "xl_list")
                }
                for spec in listed {
                    try add(spec, to: &domains, names: &names)
                    sources.append(DomainSource(config: nil, domidGiven: true))
                }
            }
        }
        // Stub domains, each created right after its guest.
        var order: [Int] = []
        for i in sources.indices {
            order.append(i)
            guard let config = sources[i].config, let stub = try stubDomain(for: domains[i], config: config, in: domains) else { continue }
            try add(stub, to: &domains, names: &names)
            sources.append(DomainSource(config: nil, domidGiven: false))
            order.append(domains.count - 1)
        }
        try assignDomids(&domains, order: order, pending: Set(sources.indices.filter { !sources[$0].domidGiven }))
        var uuids: [String: String] = [:]
        for d in domains {
            guard let uuid = d.uuid?.lowercased() else { continue }
            if let first = uuids[uuid] {
                throw InputError("duplicate uuid '\(d.uuid!)' ('\(first)' and '\(d.name)')", at: d.location ?? SourceLocation(file: doc.path))
            }
            uuids[uuid] = d.name
        }
    }

    /// Adds a domain read from a host file, refusing a name already taken.
    static func add(_ spec: DomainSpec, to domains: inout [DomainSpec], names: inout [String: Int]) throws(InputError) {
        if let first = names[spec.name] {
            let other = domains[first].location.map { " (also at \($0))" } ?? ""
            throw InputError("duplicate domain name '\(spec.name)'\(other)", at: spec.location ?? SourceLocation(file: "?"))
        }
        names[spec.name] = domains.count
        domains.append(spec)
    }

    /// The `*.cfg` files of `directory` (relative to the system file), in byte order of their
    /// names; hidden files are left out.
    static func configFiles(in directory: String, baseDirectory: URL, at place: SourceLocation) throws(InputError) -> [String] {
        let path = directory.hasPrefix("/") ? directory : baseDirectory.appendingPathComponent(directory).path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
              let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            throw InputError("xl_dir '\(directory)' is not a readable directory", at: place)
        }
        let configs = names.filter { $0.hasSuffix(".cfg") && !$0.hasPrefix(".") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard configs.count <= Int(maxDomid) else { throw InputError("xl_dir '\(directory)' holds more configs than Xen has domids", at: place) }
        return configs.map { (directory.hasSuffix("/") ? directory : directory + "/") + $0 }
    }

    /// The stub domain libxl creates for an HVM guest whose config sets
    /// `device_model_stubdomain_override` (tools/libs/light/libxl_dm.c): named `<guest>-dm`,
    /// labelled `device_model_stubdomain_seclabel` or else the policy's `domDM` initial SID,
    /// the guest's device model (`xc_domain_set_target`). None for pv and pvh guests (libxl
    /// runs no device-model stub domain for them), and none when the system file already
    /// names the guest's device model (`target`, `stubdom`): that domain is the stub domain.
    static func stubDomain(for guest: DomainSpec, config: XLConfig, in domains: [DomainSpec]) throws(InputError) -> DomainSpec? {
        guard config.stubdomain, config.type == .hvm else { return nil }
        let place = config.stubdomainLocation ?? SourceLocation(file: config.path)
        if let stated = domains.first(where: { $0.target == guest.name }) {
            if let label = config.stubdomainSeclabel, label != stated.label {
                // Placed at the system file's statement, the one that overrides the config.
                let configPlace = config.stubdomainSeclabelLocation ?? place
                throw InputError("the device model of '\(guest.name)' ('\(stated.name)') is labelled '\(stated.label)' here, but its xl config labels the stub domain '\(label)' (\(configPlace))",
                                 at: stated.labelLocation ?? stated.location ?? configPlace)
            }
            return nil
        }
        let name = guest.name + "-dm"
        try DomainName.check(name, at: place)
        var stub = DomainSpec(name: name, domid: 0, label: config.stubdomainSeclabel ?? "", target: guest.name, location: place,
                              labelLocation: config.stubdomainSeclabelLocation ?? place, createdBeforePolicy: false)
        if config.stubdomainSeclabel == nil { stub.initialSIDLabel = "domDM" }
        stub.guestType = .pv
        return stub
    }

    /// Hands out domids as Xen's `domid_alloc` does (xen/common/domid.c), in creation order:
    /// the first free domid after the last one handed out, from 1, wrapping back to 1 after
    /// 32751. A domid the system file states is never handed out, and does not move the count.
    static func assignDomids(_ domains: inout [DomainSpec], order: [Int], pending: Set<Int>) throws(InputError) {
        var taken = Set(domains.indices.filter { !pending.contains($0) }.map { domains[$0].domid })
        var last: UInt16 = 0
        for i in order where pending.contains(i) {
            var candidate: UInt16?
            var d = last
            for _ in 0 ..< Int(maxDomid) {
                d = d >= maxDomid ? 1 : d + 1
                if !taken.contains(d) { candidate = d; break }
            }
            guard let candidate else {
                throw InputError("no free domid left for '\(domains[i].name)'", at: domains[i].location ?? SourceLocation(file: "?"))
            }
            domains[i].domid = candidate
            taken.insert(candidate)
            last = candidate
        }
    }
}

extension SystemInventory {
    /// A system read from `xl list -Z` output alone (`--system-from-xl-list`): its domains,
    /// no `[boot]` (the command line comes from `xl info`) and no `[xen]`.
    public static func fromXLList(_ path: String) throws(InputError) -> SystemInventory {
        var inventory = SystemInventory(boot: BootSettings(), domains: try XLList.load(path), path: path)
        inventory.bootSource = BootSource()
        inventory.select(XenProfile(version: .head, flavour: .upstream, arch: .x86, xsmBuild: .default), basis: "not stated")
        return inventory
    }

    /// The inventory with every default label (`initialSIDLabel`) replaced by the context the
    /// policy gives that initial SID, as Xen labels a domain created with its SID.
    public func resolvingInitialSIDLabels(_ policy: Policy) throws(InputError) -> SystemInventory {
        var copy = self
        for i in domains.indices {
            guard let sid = domains[i].initialSIDLabel else { continue }
            guard let initial = policy.initialSID(named: sid) else {
                throw InputError("domain '\(domains[i].name)' takes libxl's default label, the '\(sid)' initial SID, but the policy labels no '\(sid)'",
                                 at: domains[i].labelLocation ?? domains[i].location ?? SourceLocation(file: path))
            }
            copy.domains[i].label = policy.string(initial.context)
        }
        return copy
    }
}
