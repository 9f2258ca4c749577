import ArgoEngine
import ArgusAnalysis
import ArgusCommands
import ArgusFirewall
import Flask
import Foundation
import TestSupport
import Testing

/// The OpenXT example: its policy compiled once.
enum OpenXTExample {
    static var policyPath: String { Fixtures.root.appendingPathComponent("policy/openxt").path }
    static var systemPath: String { Fixtures.root.appendingPathComponent("examples/openxt/system.toml").path }
    nonisolated(unsafe) static var cached: Policy?
    static let lock = NSLock()

    static func policy() throws -> Policy {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        let p = try PolicyLoader(flaskDirectory: Fixtures.flaskDirectory, mls: false).load(policyPath)
        cached = p
        return p
    }

    static func inventory() throws -> SystemInventory { try SystemInventory.load(systemPath) }
}

/// What the engine does when every sender sends to every service: the answers `audit
/// --services` must agree with, message for message.
enum EngineObservation {
    /// Whether a message from `sender` with `sourcePort` lands in service `s`'s ring.
    static func landed(_ system: ResolvedSystem, services: [Service]) throws -> (Int, Int, UInt32) -> Bool {
        let hv = ArgoHypervisor(settings: ArgoBootSettings(system.boot, profile: system.profile, decider: TableDecider(system: system)))
        let d = system.domains
        for (i, dom) in d.enumerated() {
            _ = try hv.createDomain(ArgoDomainSpec(domid: dom.domid, name: dom.name, sid: system.sids[i], isControl: dom.privileged,
                                                   deviceModelTarget: dom.target.flatMap { t in d.first { $0.name == t }?.domid },
                                                   createdBeforePolicy: dom.createdBeforePolicy))
        }
        if system.inventory.hasFirewall { hv.installFirewall(system.inventory.firewall.ruleList().rules) }
        func partnerDomid(_ ring: ServiceRing) -> UInt16 {
            ring.partner.map { p in d.first { $0.name == p }!.domid } ?? ArgoABI.domidAny
        }
        for service in services {
            let owner = hv.guest(d[service.domain].domid)
            try? owner.registerRing(aport: service.ring.aport, partner: partnerDomid(service.ring), length: service.ring.size ?? 4096)
        }
        return { i, s, port in
            let service = services[s]
            let sender = hv.guest(d[i].domid)
            let destination = ArgoAddress(aport: service.ring.aport, domainID: d[service.domain].domid)
            let sent = (try? sender.sendv(source: ArgoAddress(aport: port, domainID: d[i].domid), destination: destination,
                                          iovs: [Array("m".utf8)], messageType: 7)) != nil
            let owner = hv.guest(d[service.domain].domid)
            guard let record = owner.ring(aport: service.ring.aport, partner: partnerDomid(service.ring)) else { return false }
            let messages = owner.readMessages(record)
            // Reading leaves the ring empty for the next message.
            return sent && messages.contains { $0.source.domainID == d[i].domid && $0.source.aport == port }
        }
    }

    /// Every source port a rule names, plus two no rule names.
    static func ports(_ sa: ServiceAudit) -> [UInt32] {
        let named = sa.firewall.entries.map(\.rule.source.aport).filter { $0 != ArgoABI.portAny }
        return Array(Set(named + [0, 31337])).sorted()
    }
}

@Suite(.serialized) struct ServicesTests {
    /// Audit and engine agree on every (sender, service, source port) of the OpenXT example.
    @Test func auditAgreesWithTheEngineOnTheOpenXTExample() throws {
        let system = try ResolvedSystem(inventory: try OpenXTExample.inventory(), policy: try OpenXTExample.policy())
        try Self.compare(system)
    }

    /// The same over random firewall lines and random rings added to the example.
    @Test func auditAgreesWithTheEngineOnRandomFirewalls() throws {
        var seed: UInt64 = 0xf1e
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        let base = try OpenXTExample.inventory()
        let policy = try OpenXTExample.policy()
        for _ in 0..<25 {
            var inventory = base
            inventory.firewallToolstack = next(3) != 0
            inventory.firewallLines = (0..<next(6)).map { _ in
                let ports: [UInt32] = [0, 80, 2222, 5100, 5555, ArgoABI.portAny]
                let domids: [UInt16] = [0, 1, 2, 3, 4, 5, ArgoABI.domidAny]
                let rule = VIPTablesRule(source: ArgoAddress(aport: ports[next(ports.count)], domainID: domids[next(domids.count)]),
                                         destination: ArgoAddress(aport: ports[next(ports.count)], domainID: domids[next(domids.count)]),
                                         accept: UInt32(next(2)))
                let command: VIPTablesCommand = [.insert(rule, position: Int32(next(4))), .append(rule), .deleteMatching(rule), .deletePosition(Int32(next(3)))][next(4)]
                return WrittenVIPTablesLine(command: command, text: "\(command)", location: nil)
            }
            for _ in 0..<next(4) {
                let k = next(inventory.domains.count)
                let partner = next(3) == 0 ? nil : inventory.domains[next(inventory.domains.count)].name
                let ring = ServiceRing(aport: [80, 2222, 5555, 9][next(4)], partner: partner)
                if !inventory.domains[k].rings.contains(where: { $0.aport == ring.aport && $0.partner == ring.partner }) {
                    inventory.domains[k].rings.append(ring)
                }
            }
            try Self.compare(try ResolvedSystem(inventory: inventory, policy: policy))
        }
    }

    static func compare(_ system: ResolvedSystem) throws {
        let audit = ArgoAudit(system)
        let all = ServiceAudit(audit)
        let observe = try EngineObservation.landed(system, services: all.services)
        let ports = EngineObservation.ports(all)
        let perPort = ports.map { ServiceAudit(audit, sourcePort: $0) }
        var checked = 0
        for s in all.services.indices {
            for i in system.domains.indices {
                var landedSome = false, landedAll = true
                for (k, port) in ports.enumerated() {
                    let predicted = perPort[k].reach(sender: i, service: s).lands
                    let observed = observe(i, s, port)
                    #expect(predicted == observed, "\(system.domains[i].name) -> \(ServiceRenderer.name(all, s)) from port \(port)")
                    landedSome = landedSome || observed
                    landedAll = landedAll && observed
                    checked += 1
                }
                let r = all.reach(sender: i, service: s)
                #expect(r.lands == landedSome, "some port: \(system.domains[i].name) -> \(ServiceRenderer.name(all, s))")
                #expect(r.landsFromEveryPort == landedAll, "every port: \(system.domains[i].name) -> \(ServiceRenderer.name(all, s))")
            }
        }
        #expect(checked > 0)
    }
}
