/// A flow of the audit, by the name the CLI, the rules file and the JSON outputs use.
///
/// `argo` and `register_any_source` belong to one domain; the other four to an ordered pair.
/// `path` (rules files only) is derived from the audit: a chain of channels, `A -> X -> ... -> B`,
/// along which a message can be relayed (docs/PATHS.md).
public enum AuditFlowName: String, Sendable, CaseIterable, Codable, Comparable {
    case argo
    case registerAnySource = "register_any_source"
    case registerSingleSource = "register_single_source"
    case send, notify, channel
    case path
    /// A message from the source lands in a service (a ring at a port, `[[domain.ring]]`):
    /// the services audit, OpenXT's firewall included (docs/FIREWALL.md). Inventories only.
    case service

    /// The six flows the audit itself computes (not `path`).
    public static let auditFlows: [AuditFlowName] = [.argo, .registerAnySource, .registerSingleSource, .send, .notify, .channel]

    /// True for `argo` and `register_any_source`, which have no target domain.
    public var isPerDomain: Bool { self == .argo || self == .registerAnySource }

    /// The pair flow of `ArgoAudit` this name stands for (nil for per-domain flows).
    public var pairFlow: ArgoAudit.Flow? { ArgoAudit.Flow(rawValue: rawValue) }

    /// "channel, send, …" for error messages.
    public static var listForErrors: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public static func < (a: AuditFlowName, b: AuditFlowName) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

extension ArgoAudit {
    /// Whether `flow` holds for domain `i` (per-domain flows) or from `i` to `j` (pair flows).
    public func holds(_ flow: AuditFlowName, _ i: Int, _ j: Int?) -> Bool {
        switch flow {
        case .argo: return domains[i].argo
        case .registerAnySource: return domains[i].registerAnySource
        case .service:
            return false  // over services, not domains: PolicyCheck asks ServiceAudit
        case .path:
            guard let j else { return false }
            return ChannelGraph(self).distances(from: i)[j] != nil
        default:
            guard let j, let pair = flow.pairFlow else { return false }
            return has(pair, i, j)
        }
    }
}

/// One flow of one domain or one ordered pair, by domain names.
public struct FlowInstance: Sendable, Hashable, Codable, Comparable {
    public var source: String
    /// nil for per-domain flows.
    public var target: String?
    public var flow: AuditFlowName

    public init(source: String, target: String?, flow: AuditFlowName) {
        self.source = source
        self.target = target
        self.flow = flow
    }

    /// "a1 -> dom0 channel" or "dom0 argo".
    public var description: String {
        target.map { "\(source) -> \($0) \(flow.rawValue)" } ?? "\(source) \(flow.rawValue)"
    }

    public static func < (a: FlowInstance, b: FlowInstance) -> Bool {
        (a.source, a.target ?? "", a.flow.rawValue) < (b.source, b.target ?? "", b.flow.rawValue)
    }
}
