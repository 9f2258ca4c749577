import ArgoEngine

/// A domain named in a scenario: a name, a raw domid, or DOMID_ANY.
public enum DomainReference: Sendable, Hashable, CustomStringConvertible {
    case any
    case named(String)
    case domid(UInt16)

    public var description: String {
        switch self {
        case .any: "any"
        case .named(let name): name
        case .domid(let id): String(id)
        }
    }
}

/// One iov of a scenario sendv.
public enum IOVSpec: Sendable, Hashable {
    /// UTF-8 text.
    case text(String)
    /// Raw bytes.
    case bytes([UInt8])
    /// `len` zero bytes.
    case zeros(Int)
}

public struct IOVEntry: Sendable, Hashable {
    public var data: IOVSpec
    /// Raw pad word (must be 0 for Xen to accept it).
    public var pad: UInt32
}

public struct ScenarioAddress: Sendable, Hashable {
    public var domain: DomainReference
    public var aport: UInt32
    public var pad: UInt16
}

public struct NotifyEntrySpec: Sendable, Hashable {
    public var domain: DomainReference
    public var aport: UInt32
    public var spaceRequired: UInt32
    public var pad: UInt16
}

/// One end of an OpenXT firewall rule: a domain (or `any`) and a port (`PORT_ANY` for `any`).
public struct FirewallEndpointSpec: Sendable, Hashable {
    public var domain: DomainReference
    public var aport: UInt32
    public var pad: UInt16
}

/// An OpenXT firewall rule as a scenario writes it (`xen_argo_viptables_rule_t`).
public struct FirewallRuleSpec: Sendable, Hashable {
    public var source: FirewallEndpointSpec
    public var destination: FirewallEndpointSpec
    /// Raw `accept` word (`true` is 1, `false` 0).
    public var accept: UInt32
}

/// Which rule `viptables_del` removes.
public enum FirewallDeletion: Sendable, Hashable {
    /// By 1-based position (arg4; the rule handle is NULL).
    case position(Int32)
    /// The first rule with these addresses (arg4 = -1).
    case rule(FirewallRuleSpec)
}

/// What a step does.
public enum ScenarioOperation: Sendable, Hashable {
    case register(domain: DomainReference, aport: UInt32, partner: DomainReference, length: UInt32,
                  pageCount: UInt64?, flags: UInt64, pad: UInt16)
    case unregister(domain: DomainReference, aport: UInt32, partner: DomainReference, pad: UInt16)
    case sendv(domain: DomainReference, source: ScenarioAddress, destination: ScenarioAddress, messageType: UInt32,
               iovs: [IOVEntry], niov: UInt64?)
    /// `entries == nil`: a NULL argument.
    case notify(domain: DomainReference, entries: [NotifyEntrySpec]?, nent: UInt32?)
    case read(domain: DomainReference, aport: UInt32, partner: DomainReference)
    case setRxPtr(domain: DomainReference, aport: UInt32, partner: DomainReference, value: UInt32)
    case destroy(domain: DomainReference)
    case softReset(domain: DomainReference)
    case create(name: String, domid: UInt16, label: String, privileged: Bool, deviceModelTarget: String?, compat: Bool)
    /// A raw `HYPERVISOR_argo_op` with the guest's register values.
    case hypercall(domain: DomainReference, cmd: UInt64, arguments: [UInt64])
    /// A guest-side write at a guest-physical address; frames touched are populated
    /// (with `kind`, when given, also frames already there).
    case poke(domain: DomainReference, address: UInt64, bytes: [UInt8], kind: GuestFrameKind?)
    /// A guest-side read (shown in the trace).
    case peek(domain: DomainReference, address: UInt64, count: Int)
    /// The frame leaves the guest (rings holding it keep their page reference).
    case unmap(domain: DomainReference, frame: UInt64)
    /// Drops the references that keep a destroyed domain dying.
    case release(domain: DomainReference)
    case viptablesAdd(domain: DomainReference, position: Int32, rule: FirewallRuleSpec)
    case viptablesDel(domain: DomainReference, deletion: FirewallDeletion)
    case viptablesList(domain: DomainReference, start: UInt32)
    case viptablesFlush(domain: DomainReference)

    /// The `op` spelling.
    public var name: String {
        switch self {
        case .register: "register"
        case .unregister: "unregister"
        case .sendv: "sendv"
        case .notify: "notify"
        case .read: "read"
        case .setRxPtr: "set_rx_ptr"
        case .destroy: "destroy"
        case .softReset: "soft_reset"
        case .create: "create"
        case .hypercall: "hypercall"
        case .poke: "poke"
        case .peek: "peek"
        case .unmap: "unmap"
        case .release: "release"
        case .viptablesAdd: "viptables_add"
        case .viptablesDel: "viptables_del"
        case .viptablesList: "viptables_list"
        case .viptablesFlush: "viptables_flush"
        }
    }

    /// The domain acting (or being acted on).
    public var actor: DomainReference {
        switch self {
        case .register(let domain, _, _, _, _, _, _), .unregister(let domain, _, _, _),
             .sendv(let domain, _, _, _, _, _), .notify(let domain, _, _), .read(let domain, _, _),
             .setRxPtr(let domain, _, _, _), .destroy(let domain), .softReset(let domain),
             .hypercall(let domain, _, _), .poke(let domain, _, _, _), .peek(let domain, _, _), .unmap(let domain, _),
             .release(let domain), .viptablesAdd(let domain, _, _), .viptablesDel(let domain, _),
             .viptablesList(let domain, _), .viptablesFlush(let domain):
            domain
        case .create(let name, _, _, _, _, _):
            .named(name)
        }
    }
}

/// One step with where it came from and what it should return.
public struct ScenarioStep: Sendable, Hashable {
    public var operation: ScenarioOperation
    /// Expected return value (≥ 0, or a negated errno), if given; compared with the result
    /// read as the guest's 32-bit `int`, as its driver reads it.
    public var expect: Int64?
    /// Expected raw 64-bit return value (`expect_raw`), if given: what the guest's register
    /// holds (sendv's late errors reach a 64-bit guest as 2^32 - errno).
    public var expectRaw: Int64? = nil
    /// 1-based line in the scenario file.
    public var line: Int
}

/// A parsed scenario file.
public struct Scenario: Sendable, Hashable {
    public var file: String
    public var steps: [ScenarioStep]
}

/// A domain present when the simulation starts.
public struct SimulationDomain: Sendable, Hashable {
    public var name: String
    public var domid: UInt16
    /// Its security label, for reports (the engine only sees `sid`).
    public var label: String
    public var sid: UInt32
    /// Control domain (`is_privileged`).
    public var privileged: Bool
    /// Name of the domain this one serves as device model.
    public var deviceModelTarget: String?
    /// A 32-bit (compat) guest.
    public var compat: Bool
    /// Created before a `flask=late` policy was loaded.
    public var createdBeforePolicy: Bool
    /// The SID it is built with when that differs from `sid` (xl's `init_seclabel`).
    public var buildSID: UInt32?

    public init(name: String, domid: UInt16, label: String = "", sid: UInt32 = 0, privileged: Bool = false,
                deviceModelTarget: String? = nil, compat: Bool = false, createdBeforePolicy: Bool = false,
                buildSID: UInt32? = nil) {
        self.createdBeforePolicy = createdBeforePolicy
        self.buildSID = buildSID
        self.name = name
        self.domid = domid
        self.label = label
        self.sid = sid
        self.privileged = privileged
        self.deviceModelTarget = deviceModelTarget
        self.compat = compat
    }
}
