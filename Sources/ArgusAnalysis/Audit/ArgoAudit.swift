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
        // Bits 1 (register_single_source) and 2 (send) of each pair first, then notify and channel.
        var packed = [UInt8](repeating: 0, count: n * n)
        packed.withUnsafeMutableBufferPointer { out in
            if boot.xsm == .flask {
                Self.flaskHooks(system, mayCall: mayCall, argo: domains.map(\.argo), into: out)
            } else {
                for i in 0..<n where mayCall[i] {
                    for j in 0..<n where domains[j].argo {
                        let rss = hooks.domainHook(.registerSingleSource, i, j).allowed
                        let send = hooks.domainHook(.send, i, j).allowed
                        out[i * n + j] = (rss ? Flow.registerSingleSource.bit : 0) | (send ? Flow.send.bit : 0)
                    }
                }
            }
            Self.addChannels(out, n: n, wildcard: domains.map(\.registerAnySource))
        }
        pairs = packed
    }

    /// `register_single_source` and `send` under FLASK for every pair at once: the table's bits
    /// for the domains' SIDs, then the pairs whose target SID is not the target's own SID (self,
    /// device model), then permissive overrides and domains without Argo.
    static func flaskHooks(_ system: ResolvedSystem, mayCall: [Bool], argo: [Bool], into out: UnsafeMutableBufferPointer<UInt8>) {
        let n = system.domains.count
        let table = system.table
        let rss = system.mask(.registerSingleSource), send = system.mask(.send)
        table.permissionBits(sources: system.sids, targets: system.sids, slot: system.argoSlot, permissions: [rss, send], into: out)
        func bits(_ i: Int, _ j: Int) -> UInt8 {
            let allowed = table.decision(system.sids[i], system.targetSID(i, j), slot: system.argoSlot).allowed
            return (allowed & rss != 0 ? Flow.registerSingleSource.bit : 0) | (allowed & send != 0 ? Flow.send.bit : 0)
        }
        for i in 0..<n {
            out[i * n + i] = bits(i, i)
            if let j = system.targets[i], j != i { out[i * n + j] = bits(i, j) }
        }
        let both = Flow.registerSingleSource.bit | Flow.send.bit
        let permissive = system.boot.flask == .permissive
        let columnMask = argo.map { $0 ? both : 0 }
        columnMask.withUnsafeBufferPointer { columnMask in
            for i in 0..<n {
                let row = out.baseAddress! + i * n
                if !mayCall[i] {
                    row.update(repeating: 0, count: n)
                } else if permissive || table.isPermissive(system.sids[i]) {
                    for j in 0..<n { row[j] = columnMask[j] }
                } else {
                    for j in 0..<n { row[j] &= columnMask[j] }
                }
            }
        }
    }

    /// Notify is send; a channel is send where the target can register a ring that accepts the
    /// source (its own `register_single_source` back, or a wildcard ring). In tiles, so that
    /// the transposed reads stay in cache.
    static func addChannels(_ pairs: UnsafeMutableBufferPointer<UInt8>, n: Int, wildcard: [Bool]) {
        let tile = 64
        let rss = Flow.registerSingleSource.bit, send = Flow.send.bit
        let landed = Flow.notify.bit | Flow.channel.bit
        wildcard.withUnsafeBufferPointer { wildcard in
            for i0 in stride(from: 0, to: n, by: tile) {
                for j0 in stride(from: 0, to: n, by: tile) {
                    let j1 = min(j0 + tile, n)
                    for i in i0..<min(i0 + tile, n) {
                        let row = pairs.baseAddress! + i * n
                        var j = j0
                        while j < j1 {
                            // Most pairs have no flow: eight at a time.
                            if j + 8 <= j1, UnsafeRawPointer(row + j).loadUnaligned(as: UInt64.self) == 0 { j += 8; continue }
                            if row[j] & send != 0 {
                                row[j] |= pairs[j * n + i] & rss != 0 || wildcard[j] ? landed : Flow.notify.bit
                            }
                            j += 1
                        }
                    }
                }
            }
        }
    }

    public func has(_ flow: Flow, _ i: Int, _ j: Int) -> Bool {
        pairs[i * count + j] & flow.bit != 0
    }
}
