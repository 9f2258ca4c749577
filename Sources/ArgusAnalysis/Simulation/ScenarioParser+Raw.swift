import ArgoEngine
import Flask
import Yams

/// The raw steps (`hypercall`, `poke`, `peek`, `unmap`), `release`, and OpenXT's firewall
/// ops (docs/SCENARIOS.md, "Raw steps" and "OpenXT's firewall").
extension FieldReader {
    /// The most bytes one `peek` shows.
    static let peekLimit = 0x10000
    static let extendedOps: Set<String> = ["hypercall", "poke", "peek", "unmap", "release", "viptables_add", "viptables_del",
                                           "viptables_list", "viptables_flush"]

    func extendedStep(_ op: String, _ map: Node.Mapping, _ node: Node, opNode: Node,
                      common: Set<String>) throws(InputError) -> ScenarioOperation {
        func allow(_ keys: Set<String>) throws(InputError) { try rejectUnknown(map, allowed: common.union(keys), what: "\(op) step") }
        func required(_ key: String) throws(InputError) -> Node {
            guard let value = map[key] else { throw fail("\(op) needs '\(key)'", node) }
            return value
        }
        guard Self.extendedOps.contains(op) else { throw fail("unknown op '\(op)'", opNode) }
        let actor = try domain(map["domain"], "domain", at: node)
        switch op {
        case "hypercall":
            try allow(["domain", "cmd", "arg1", "arg2", "arg3", "arg4"])
            var arguments: [UInt64] = []
            for key in ["arg1", "arg2", "arg3", "arg4"] {
                arguments.append(try map[key].map { (value) throws(InputError) in try unsigned64(value, key) } ?? 0)
            }
            return .hypercall(domain: actor, cmd: try unsigned64(try required("cmd"), "cmd"), arguments: arguments)
        case "poke":
            try allow(["domain", "gpa", "hex", "kind"])
            let address = try unsigned64(try required("gpa"), "gpa")
            let hexNode = try required("hex")
            let hex = try string(hexNode, "hex").filter { $0 != " " }
            try spend(hex.utf8.count / 2, at: hexNode)
            guard let bytes = Self.parseHex(hex), !bytes.isEmpty else {
                throw fail("'hex' must be a non-empty, even number of hex digits", hexNode)
            }
            guard UInt64(bytes.count - 1) <= UInt64.max - address else { throw fail("poke runs past the end of the address space", hexNode) }
            let kind = try map["kind"].map { (value) throws(InputError) in try frameKind(value) }
            return .poke(domain: actor, address: address, bytes: bytes, kind: kind)
        case "peek":
            try allow(["domain", "gpa", "len"])
            let address = try unsigned64(try required("gpa"), "gpa")
            let count = Int(try integer(try required("len"), "len", 1 ... Int64(Self.peekLimit)))
            guard UInt64(count - 1) <= UInt64.max - address else { throw fail("peek runs past the end of the address space", node) }
            return .peek(domain: actor, address: address, count: count)
        case "unmap":
            try allow(["domain", "gfn"])
            return .unmap(domain: actor, frame: try unsigned64(try required("gfn"), "gfn"))
        case "release":
            try allow(["domain"])
            return .release(domain: actor)
        case "viptables_add":
            try allow(["domain", "position", "src", "dst", "accept"])
            return .viptablesAdd(domain: actor, position: try position(map["position"]) ?? 0,
                                 rule: try firewallRule(map, node, acceptRequired: true))
        case "viptables_del":
            try allow(["domain", "position", "src", "dst", "accept"])
            if let position = try position(map["position"]) {
                if map["src"] != nil || map["dst"] != nil || map["accept"] != nil {
                    throw fail("viptables_del takes either 'position' or a rule ('src', 'dst'), not both", node)
                }
                return .viptablesDel(domain: actor, deletion: .position(position))
            }
            guard map["src"] != nil || map["dst"] != nil else { throw fail("viptables_del needs 'position' or 'src' and 'dst'", node) }
            return .viptablesDel(domain: actor, deletion: .rule(try firewallRule(map, node, acceptRequired: false)))
        case "viptables_list":
            try allow(["domain", "start"])
            return .viptablesList(domain: actor, start: try u32(map, "start", default: 0))
        case "viptables_flush":
            try allow(["domain"])
            return .viptablesFlush(domain: actor)
        default:
            throw fail("unknown op '\(op)'", opNode)
        }
    }

    func frameKind(_ node: Node) throws(InputError) -> GuestFrameKind {
        switch try string(node, "kind") {
        case "ram": return .ram
        case "read_only": return .readOnly
        case "log_dirty": return .logDirty
        case "mmio": return .mmio
        default: throw fail("'kind' must be ram, read_only, log_dirty or mmio", node)
        }
    }

    /// A firewall position: a signed 32-bit number, or its raw 32-bit pattern.
    func position(_ node: Node?) throws(InputError) -> Int32? {
        guard let node else { return nil }
        return Int32(truncatingIfNeeded: try integer(node, "position", Int64(Int32.min) ... Int64(UInt32.max)))
    }

    func firewallRule(_ map: Node.Mapping, _ node: Node, acceptRequired: Bool) throws(InputError) -> FirewallRuleSpec {
        var accept: UInt32 = 1
        if let acceptNode = map["accept"] {
            switch try string(acceptNode, "accept").lowercased() {
            case "true": accept = 1
            case "false": accept = 0
            default: accept = UInt32(try integer(acceptNode, "accept", 0 ... Int64(UInt32.max)))
            }
        } else if acceptRequired {
            throw fail("viptables_add needs 'accept' (true, false or a number)", node)
        }
        return FirewallRuleSpec(source: try endpoint(map["src"], "src", at: node),
                                destination: try endpoint(map["dst"], "dst", at: node), accept: accept)
    }

    /// `{domain, aport, pad?}` where `any` or `*` is the wildcard for either.
    func endpoint(_ node: Node?, _ key: String, at owner: Node) throws(InputError) -> FirewallEndpointSpec {
        guard let node else { throw fail("missing '\(key)'", owner) }
        let map = try mapping(node, "'\(key)'")
        try rejectUnknown(map, allowed: ["domain", "aport", "pad"], what: "'\(key)'")
        guard let domainNode = map["domain"] else { throw fail("'\(key)' needs 'domain'", node) }
        let domain: DomainReference = try string(domainNode, "domain") == "*" ? .any : try self.domain(domainNode, "domain", at: node)
        guard let portNode = map["aport"] else { throw fail("'\(key)' needs 'aport'", node) }
        let portText = try string(portNode, "aport")
        let aport = portText == "any" || portText == "*" ? ArgoABI.portAny : UInt32(try integer(portNode, "aport", 0 ... Int64(UInt32.max)))
        return FirewallEndpointSpec(domain: domain, aport: aport, pad: try u16(map, "pad", default: 0))
    }
}
