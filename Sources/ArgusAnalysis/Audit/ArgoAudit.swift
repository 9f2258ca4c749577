import ArgoEngine
import DecisionTable
import Flask

/// The outcome of one XSM hook call.
public struct HookVerdict: Sendable, Equatable {
    /// What Xen does: the call proceeds.
    public var allowed: Bool
    /// What the policy says (FLASK), before permissive mode or permissive types.
    public var granted: Bool
    /// Allowed only because FLASK is permissive or the source type is permissive.
    public var permissiveOverride: Bool { allowed && !granted }
}

/// The Argo XSM hooks over a resolved system, as Xen's dummy, SILO and FLASK modules answer them.
public struct ArgoHooks: Sendable {
    public let system: ResolvedSystem

    public init(_ system: ResolvedSystem) { self.system = system }

    /// `enable` and `register_any_source`: the domain against the `xen` initial SID.
    public func hypervisorHook(_ p: ArgoPermission, domain i: Int) -> HookVerdict {
        hypervisorHook(p, source: system.sids[i])
    }

    /// `enable` as `argo_init` checks it when domain `i` is created: with its build label.
    public func creationHook(domain i: Int) -> HookVerdict {
        hypervisorHook(.enable, source: system.buildSIDs[i])
    }

    func hypervisorHook(_ p: ArgoPermission, source: UInt32) -> HookVerdict {
        switch system.boot.xsm {
        case .dummy, .silo: return HookVerdict(allowed: true, granted: true)
        case .flask: return flask(p, source: source, target: system.xenSID)
        }
    }

    /// `register_single_source` and `send`: domain `i` acting on domain `j`.
    public func domainHook(_ p: ArgoPermission, _ i: Int, _ j: Int) -> HookVerdict {
        switch system.boot.xsm {
        case .dummy: return HookVerdict(allowed: true, granted: true)
        case .silo:
            // Before Xen 4.16.0 SILO had no Argo hooks (XenProfile.siloChecksArgo).
            let ok = !system.profile.siloChecksArgo || i == j || system.domains[i].privileged || system.domains[j].privileged
            return HookVerdict(allowed: ok, granted: ok)
        case .flask: return flask(p, source: system.sids[i], target: system.targetSID(i, j))
        }
    }

    @inline(__always)
    func flask(_ p: ArgoPermission, source: UInt32, target: UInt32) -> HookVerdict {
        let av = system.table.decision(source, target, slot: system.argoSlot)
        let granted = av.allowed & system.mask(p) != 0
        let allowed = granted || system.boot.flask == .permissive || system.table.isPermissive(source)
        return HookVerdict(allowed: allowed, granted: granted)
    }
}

/// Which domains may use Argo with which, under one policy and boot configuration.
public struct ArgoAudit: Sendable {
    public struct DomainFlows: Sendable, Equatable {
        /// Argo state exists: the boot option is on and `enable` was allowed when the domain
        /// was created, for its build label (with `flask=late`, always for domains created
        /// before the policy load).
        public var argo: Bool
        /// May register wildcard rings: argo, mac-permissive, and the permission.
        public var registerAnySource: Bool
    }

    /// Flows of an ordered pair, packed: see `Flow`.
    public enum Flow: String, Sendable, CaseIterable, Codable {
        case registerSingleSource = "register_single_source"
        case send, notify, channel
        var bit: UInt8 {
            switch self {
            case .registerSingleSource: 1
            case .send: 2
            case .notify: 4
            case .channel: 8
            }
        }
    }

    public let system: ResolvedSystem
    public let domains: [DomainFlows]
    /// `pairs[i * n + j]`: the flows from source `i` to target `j` as bits of `Flow`.
    public let pairs: [UInt8]

    public var count: Int { domains.count }

    public init(_ system: ResolvedSystem) {
        self.system = system
        let hooks = ArgoHooks(system)
        let n = system.domains.count
        let boot = system.boot
        // flask=late: before the policy is loaded every check passes, so a domain created
        // then has Argo state; its own hypercalls are checked (`enable`) once it is loaded.
        let late = boot.xsm == .flask && boot.flask == .late
        var mayCall = [Bool](repeating: false, count: n)
        let domains = (0..<n).map { i -> DomainFlows in
            // Every Argo call checks `enable` with the label the domain runs with; its Argo state
            // was set up (or not) by `argo_init` at creation, with its build label.
            let enable = boot.argo && hooks.hypervisorHook(.enable, domain: i).allowed
            let created = system.hasBuildLabel(i) ? boot.argo && hooks.creationHook(domain: i).allowed : enable
            let argo = created || (boot.argo && late && system.domains[i].createdBeforePolicy)
            mayCall[i] = enable && argo
            let any = mayCall[i] && boot.macPermissive && hooks.hypervisorHook(.registerAnySource, domain: i).allowed
            return DomainFlows(argo: argo, registerAnySource: any)
        }
        self.domains = domains
        var rss = [Bool](repeating: false, count: n * n)
        var send = [Bool](repeating: false, count: n * n)
        for i in 0..<n where mayCall[i] {
            for j in 0..<n where domains[j].argo {
                rss[i * n + j] = hooks.domainHook(.registerSingleSource, i, j).allowed
                send[i * n + j] = hooks.domainHook(.send, i, j).allowed
            }
        }
        var packed = [UInt8](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var bits: UInt8 = 0
                if rss[i * n + j] { bits |= Flow.registerSingleSource.bit }
                if send[i * n + j] {
                    bits |= Flow.send.bit | Flow.notify.bit
                    // A message lands when the target can register a ring that accepts the source.
                    if rss[j * n + i] || domains[j].registerAnySource { bits |= Flow.channel.bit }
                }
                packed[i * n + j] = bits
            }
        }
        pairs = packed
    }

    public func has(_ flow: Flow, _ i: Int, _ j: Int) -> Bool {
        pairs[i * count + j] & flow.bit != 0
    }
}
