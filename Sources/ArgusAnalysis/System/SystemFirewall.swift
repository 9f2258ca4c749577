import ArgoEngine
import ArgusFirewall
import Flask
import Foundation
import TOMLReader

/// A ring a domain registers: one of its services (`[[domain.ring]]`).
public struct ServiceRing: Sendable, Hashable, Codable {
    public var aport: UInt32
    /// The domain allowed to send into it; nil for `any` (a wildcard ring).
    public var partner: String?
    /// The ring's length in bytes (`len` of register_ring), when given.
    public var size: UInt32?
    public var location: SourceLocation?

    public init(aport: UInt32, partner: String?, size: UInt32? = nil, location: SourceLocation? = nil) {
        self.aport = aport
        self.partner = partner
        self.size = size
        self.location = location
    }
}

extension SystemInventory {
    /// Which Xen ports its firewall to: the flavour decides (OpenXT's Xen has viptables).
    public var hasFirewall: Bool { profile.argoFirewall }

    /// The firewall as the system file configures it (docs/FIREWALL.md): OpenXT's toolstack
    /// over the VMs when it manages the firewall, then the `[firewall]` lines.
    public var firewall: FirewallSetup {
        let vms = domains.filter { $0.domid != 0 && $0.target == nil }
        let managed = firewallToolstack ?? vms.contains { !$0.firewallRules.isEmpty }
        let toolstack: [OpenXTVM]? = managed ? vms.map { d in
            OpenXTVM(name: d.name, domid: d.domid,
                     stubdomDomid: domains.first { $0.target == d.name }?.domid,
                     uuid: d.uuid ?? "(no uuid: \(d.name))", type: d.vmType ?? "svm", seamless: d.seamless,
                     rules: d.firewallRules)
        } : nil
        return FirewallSetup(toolstackVMs: toolstack, lines: firewallLines)
    }

    /// The per-domain OpenXT keys: `uuid`, `vm_type`, `seamless`, `argo_firewall_rules`, `[[domain.ring]]`.
    static func readOpenXTKeys(_ doc: TOMLDocument, _ t: TOMLTable, index i: Int, into spec: inout DomainSpec) throws(InputError) {
        if let uuid = try doc.string(t, "uuid", in: "domain", index: i) {
            guard !uuid.isEmpty, !uuid.contains(where: { $0 == " " || $0 == "\t" }) else {
                throw doc.error("a uuid cannot be empty or hold blanks", table: "domain", index: i, key: "uuid")
            }
            spec.uuid = uuid
        }
        if let type = try doc.string(t, "vm_type", in: "domain", index: i) {
            guard !type.isEmpty else { throw doc.error("vm_type cannot be empty", table: "domain", index: i, key: "vm_type") }
            spec.vmType = type
        }
        spec.seamless = try doc.bool(t, "seamless", in: "domain", index: i) ?? false
        if let entry = t.entry("argo_firewall_rules") {
            guard let array = entry.value.arrayWithPositions else {
                throw InputError("'argo_firewall_rules' must be an array of strings, not \(entry.value.kindDescription)",
                                 at: doc.location(entry.valuePosition))
            }
            if spec.domid == 0 || spec.target != nil {
                throw InputError("'argo_firewall_rules' on \(spec.domid == 0 ? "dom0" : "a device model"): OpenXT's toolstack keeps rules for VMs only",
                                 at: doc.location(entry.keyPosition))
            }
            for (element, position) in zip(array.elements, array.positions) {
                guard let text = element.string else {
                    throw InputError("'argo_firewall_rules' must hold strings, not \(element.kindDescription)", at: doc.location(position))
                }
                let place = doc.location(position)
                if let bad = text.unicodeScalars.first(where: TOMLDocument.isControl) {
                    throw InputError("firewall rule contains control character \(TOMLDocument.codePoint(bad))", at: place)
                }
                do {
                    spec.firewallRules.append(WrittenOpenXTRule(rule: try OpenXTRule.parse(text), text: text, location: place))
                } catch {
                    throw InputError("firewall rule '\(text)': \(error.message)",
                                     at: SourceLocation(file: place.file, line: place.line, column: (place.column ?? 0) + error.column))
                }
            }
        }
        if let entry = t.entry("ring") {
            guard let array = entry.value.arrayWithPositions else {
                throw InputError("'ring' must be an array of tables ([[domain.ring]])", at: doc.location(entry.valuePosition))
            }
            for (element, position) in zip(array.elements, array.positions) {
                guard let ring = element.table else { throw InputError("'ring' entries must be tables", at: doc.location(position)) }
                spec.rings.append(try readRing(doc, ring))
            }
        }
    }

    static func readRing(_ doc: TOMLDocument, _ ring: TOMLTable) throws(InputError) -> ServiceRing {
        try doc.checkKeys(ring, allowed: ["aport", "partner", "size"], name: "domain.ring")
        let place = doc.location(ring.position)
        guard let aport = try doc.int(ring, "aport", in: "domain.ring") else { throw InputError("a ring needs an 'aport'", at: place) }
        guard let port = UInt32(exactly: aport) else {
            throw InputError("aport \(aport) is out of range (0 to 4294967295)", at: doc.location(ring.entry("aport")!.valuePosition))
        }
        guard let partner = try doc.string(ring, "partner", in: "domain.ring") else {
            throw InputError("a ring needs a 'partner' (a domain name or 'any')", at: place)
        }
        var size: UInt32?
        if let s = try doc.int(ring, "size", in: "domain.ring") {
            // register_ring's limits: a multiple of 16, at most XEN_ARGO_MAX_RING_SIZE.
            guard s > 0, s % 16 == 0, s <= Int(ArgoABI.maxRingSize) else {
                throw InputError("ring size \(s) must be a positive multiple of 16 up to \(ArgoABI.maxRingSize)",
                                 at: doc.location(ring.entry("size")!.valuePosition))
            }
            size = UInt32(s)
        }
        return ServiceRing(aport: port, partner: partner == "any" ? nil : partner, size: size, location: place)
    }

    /// `stubdom = NAME` on a VM: that domain is its device model (the same as `target` on it).
    static func resolveStubdoms(_ doc: TOMLDocument, tables: [TOMLTable], domains: inout [DomainSpec], names: [String: Int]) throws(InputError) {
        for (i, t) in tables.enumerated() {
            guard let stub = try doc.string(t, "stubdom", in: "domain", index: i) else { continue }
            guard let s = names[stub] else { throw doc.error("unknown stubdom domain '\(stub)'", table: "domain", index: i, key: "stubdom") }
            guard s != i else { throw doc.error("a domain cannot be its own stub domain", table: "domain", index: i, key: "stubdom") }
            if let existing = domains[s].target, existing != domains[i].name {
                throw doc.error("'\(stub)' is already the device model of '\(existing)'", table: "domain", index: i, key: "stubdom")
            }
            if let other = domains.first(where: { $0.target == domains[i].name && $0.name != stub }) {
                throw doc.error("'\(domains[i].name)' already has a device model ('\(other.name)')", table: "domain", index: i, key: "stubdom")
            }
            domains[s].target = domains[i].name
        }
        var uuids: [String: String] = [:]
        for (i, d) in domains.enumerated() {
            guard let uuid = d.uuid else { continue }
            if let first = uuids[uuid] {
                throw doc.error("duplicate uuid '\(uuid)' (also '\(first)')", table: "domain", index: i, key: "uuid")
            }
            uuids[uuid] = d.name
        }
    }

    /// Ring partners name domains; one ring per (port, partner) per domain (Xen: -EEXIST).
    static func checkServices(_ doc: TOMLDocument, domains: [DomainSpec], names: [String: Int]) throws(InputError) {
        for d in domains {
            var seen: Set<String> = []
            for ring in d.rings {
                if let p = ring.partner, names[p] == nil {
                    throw InputError("unknown ring partner '\(p)' (a domain name or 'any')", at: ring.location)
                }
                let key = "\(ring.aport)/\(ring.partner ?? "*")"
                if !seen.insert(key).inserted {
                    throw InputError("'\(d.name)' registers two rings at port \(ring.aport) for \(ring.partner ?? "any") (Xen refuses the second: -EEXIST)",
                                     at: ring.location)
                }
            }
        }
    }

    /// `[firewall]`: `toolstack`, `rules` (viptables lines) and `file` (a file of them).
    mutating func readFirewallTable(_ doc: TOMLDocument, baseDirectory: URL) throws(InputError) {
        guard let table = try doc.optionalTable("firewall") else { return }
        try doc.checkKeys(table, allowed: ["toolstack", "rules", "file"], name: "firewall")
        firewallToolstack = try doc.bool(table, "toolstack", in: "firewall")
        if let entry = table.entry("rules") {
            guard let array = entry.value.arrayWithPositions else {
                throw InputError("'rules' must be an array of strings, not \(entry.value.kindDescription)", at: doc.location(entry.valuePosition))
            }
            for (element, position) in zip(array.elements, array.positions) {
                guard let text = element.string else {
                    throw InputError("'rules' must hold strings, not \(element.kindDescription)", at: doc.location(position))
                }
                let place = doc.location(position)
                firewallLines.append(try Self.viptablesLine(text, at: place, columnOffset: 1))
            }
        }
        if let file = try doc.string(table, "file", in: "firewall") {
            let path = file.hasPrefix("/") ? file : baseDirectory.appendingPathComponent(file).path
            let text: String
            do { text = try TextInput.decode(Data(try TOMLDocument.readBytes(path)), file: path) } catch where error.location?.line == nil {
                throw doc.error("firewall file '\(file)': \(error.message)", table: "firewall", key: "file")
            }
            for (n, raw) in TextInput.lines(text).enumerated() {
                let line = String(raw)
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                firewallLines.append(try Self.viptablesLine(line, at: SourceLocation(file: path, line: n + 1, column: 1), columnOffset: 0))
            }
        }
    }

    /// One viptables line, with errors placed at the word at fault.
    static func viptablesLine(_ text: String, at place: SourceLocation, columnOffset: Int) throws(InputError) -> WrittenVIPTablesLine {
        if let bad = text.unicodeScalars.first(where: TOMLDocument.isControl) {
            throw InputError("viptables line contains control character \(TOMLDocument.codePoint(bad))", at: place)
        }
        do {
            return WrittenVIPTablesLine(command: try VIPTablesCommand.parse(text), text: text.trimmingCharacters(in: .whitespaces), location: place)
        } catch {
            throw InputError("viptables line '\(text)': \(error.message)",
                             at: SourceLocation(file: place.file, line: place.line, column: (place.column ?? 1) + columnOffset + error.column - 1))
        }
    }
}
