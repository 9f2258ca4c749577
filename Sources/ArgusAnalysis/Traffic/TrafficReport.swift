import Foundation

/// What a generated workload did. Integers only, so that the JSON is byte-stable for a seed.
public struct TrafficReport: Sendable, Hashable {
    public struct PairCount: Sendable, Hashable {
        public var source: String
        public var target: String
        public var count: Int
    }

    public var seed: UInt64 = 0
    public var domains = 0
    public var argoDomains = 0
    public var clonedDomains = 0
    public var ringsPlanned = 0
    /// Successful registrations (setup and after churn).
    public var registrations = 0
    /// Rings registered at the end, and their data bytes.
    public var ringsRegistered = 0
    public var ringBytes = 0
    public var registrationFailures: [String: Int] = [:]
    public var routes = 0

    public var messagesAttempted = 0
    public var messagesDelivered = 0
    public var bytesDelivered = 0
    public var messagesRead = 0
    public var bytesRead = 0
    /// Attempts through the full sendv hypercall (the rest use the engine's host fast path).
    public var sentByHypercall = 0
    /// Attempts to a random ring rather than along a planned route.
    public var straySends = 0
    /// Failed sends by errno name.
    public var sendFailures: [String: Int] = [:]
    /// XSM refusals of sends (FLASK EACCES, SILO EPERM), by inventory (template) domain pair.
    public var denialsByPair: [PairCount] = []
    public var denials: Int { denialsByPair.reduce(0) { $0 + $1.count } }
    /// AVC `denied` records the engine logged over the run (creation and registration included).
    public var avcDenials = 0
    /// Sends OpenXT's firewall rejected (EPERM, apart from XSM's), by inventory domain pair.
    public var firewallRejectionsByPair: [PairCount] = []
    public var firewallRejections: Int { firewallRejectionsByPair.reduce(0) { $0 + $1.count } }
    /// Whether the Xen simulated has the firewall (only then is the firewall reported).
    public var firewallActive = false

    /// Ring-full refusals (EAGAIN) and full pending-wait lists (EBUSY).
    public var eagain = 0
    public var ebusy = 0
    /// notify calls by senders after EAGAIN (with a space_required entry), and by receivers after reading.
    public var senderNotifies = 0
    public var receiverNotifies = 0
    /// VIRQ_ARGO signals raised by receivers' notify calls (waiting senders woken).
    public var spaceSignals = 0
    public var signals = 0

    /// Ring fill seen by readers at each read (per mille of the ring length).
    public var occupancySamples = 0
    public var occupancySumPerMille = 0
    public var occupancyMaxPerMille = 0
    /// Reads that found the ring 0–25 %, 25–50 %, 50–75 %, 75–100 % full.
    public var occupancyQuartiles = [0, 0, 0, 0]
    /// Unread data at the end.
    public var ringsWithData = 0
    public var bytesPending = 0

    public var domainsRecreated = 0
    public var ringsReregistered = 0

    public init() {}

    public var occupancyMeanPerMille: Int { occupancySamples == 0 ? 0 : occupancySumPerMille / occupancySamples }

    private static func object(_ counts: [String: Int]) -> String {
        "{" + counts.keys.sorted().map { JSONStreamWriter.quoted($0) + ":" + String(counts[$0]!) }.joined(separator: ",") + "}"
    }

    /// The report as one JSON object (fixed key order) and a newline.
    public var json: String {
        var out = "{\"seed\":\(seed),\"domains\":\(domains),\"argo_domains\":\(argoDomains),\"cloned_domains\":\(clonedDomains)"
        out += ",\"rings\":{\"planned\":\(ringsPlanned),\"registrations\":\(registrations),\"registered_at_end\":\(ringsRegistered)"
        out += ",\"ring_bytes\":\(ringBytes),\"registration_failures\":\(Self.object(registrationFailures))}"
        out += ",\"routes\":\(routes)"
        out += ",\"messages\":{\"attempted\":\(messagesAttempted),\"delivered\":\(messagesDelivered),\"bytes_delivered\":\(bytesDelivered)"
        out += ",\"read\":\(messagesRead),\"bytes_read\":\(bytesRead),\"by_hypercall\":\(sentByHypercall),\"stray\":\(straySends)"
        out += ",\"failures\":\(Self.object(sendFailures))}"
        out += ",\"denials\":{\"total\":\(denials),\"avc_denied_records\":\(avcDenials),\"by_pair\":["
        out += denialsByPair.map { "{\"source\":\(JSONStreamWriter.quoted($0.source)),\"target\":\(JSONStreamWriter.quoted($0.target)),\"count\":\($0.count)}" }
            .joined(separator: ",")
        out += "]}"
        if firewallActive {
            out += ",\"firewall\":{\"rejected\":\(firewallRejections),\"by_pair\":["
            out += firewallRejectionsByPair.map { "{\"source\":\(JSONStreamWriter.quoted($0.source)),\"target\":\(JSONStreamWriter.quoted($0.target)),\"count\":\($0.count)}" }
                .joined(separator: ",")
            out += "]}"
        }
        out += ",\"pressure\":{\"eagain\":\(eagain),\"ebusy\":\(ebusy),\"sender_notifies\":\(senderNotifies)"
        out += ",\"receiver_notifies\":\(receiverNotifies),\"space_signals\":\(spaceSignals),\"virq_signals\":\(signals)}"
        out += ",\"occupancy\":{\"reads\":\(occupancySamples),\"mean_per_mille\":\(occupancyMeanPerMille),\"max_per_mille\":\(occupancyMaxPerMille)"
        out += ",\"quartiles\":[\(occupancyQuartiles.map(String.init).joined(separator: ","))]"
        out += ",\"rings_with_data_at_end\":\(ringsWithData),\"bytes_pending_at_end\":\(bytesPending)}"
        out += ",\"churn\":{\"domains_recreated\":\(domainsRecreated),\"rings_reregistered\":\(ringsReregistered)}}\n"
        return out
    }

    /// A human summary; `seconds` (wall time) is shown when given.
    public func text(seconds: Double? = nil) -> String {
        func errnos(_ counts: [String: Int]) -> String {
            counts.isEmpty ? "none" : counts.keys.sorted().map { "\($0) \(counts[$0]!)" }.joined(separator: ", ")
        }
        var out = "generated workload (seed \(seed)): \(domains) domains (\(clonedDomains) cloned), \(argoDomains) with Argo\n"
        out += "rings: \(ringsRegistered) registered at the end (\(ringBytes) bytes of ring data) of \(ringsPlanned) planned; "
        out += "registration failures: \(errnos(registrationFailures))\n"
        out += "messages: \(messagesAttempted) attempted over \(routes) routes (\(straySends) stray, \(sentByHypercall) by sendv hypercall), "
        out += "\(messagesDelivered) delivered (\(bytesDelivered) bytes), \(messagesRead) read\n"
        if let seconds, seconds > 0 {
            out += String(format: "time: %.2f s, %.0f messages/s\n", seconds, Double(messagesAttempted) / seconds)
        }
        out += "send failures: \(errnos(sendFailures))\n"
        out += "denials: \(denials) sends refused by XSM, \(avcDenials) AVC denied records\n"
        for pair in denialsByPair.sorted(by: { $0.count > $1.count }).prefix(10) {
            out += "  \(pair.source) -> \(pair.target): \(pair.count)\n"
        }
        if denialsByPair.count > 10 { out += "  (\(denialsByPair.count - 10) more pairs in --format json)\n" }
        if firewallActive {
            out += "firewall: \(firewallRejections) sends rejected by OpenXT's firewall (notify is not filtered by it)\n"
            for pair in firewallRejectionsByPair.sorted(by: { $0.count > $1.count }).prefix(10) {
                out += "  \(pair.source) -> \(pair.target): \(pair.count)\n"
            }
            if firewallRejectionsByPair.count > 10 { out += "  (\(firewallRejectionsByPair.count - 10) more pairs in --format json)\n" }
        }
        out += "pressure: EAGAIN \(eagain), EBUSY \(ebusy); \(senderNotifies) sender notifies, \(receiverNotifies) receiver notifies, "
        out += "\(spaceSignals) senders woken\n"
        out += String(format: "occupancy at read: mean %.1f %%, max %.1f %%", Double(occupancyMeanPerMille) / 10, Double(occupancyMaxPerMille) / 10)
        out += "; reads by quartile of fill \(occupancyQuartiles.map(String.init).joined(separator: "/"))"
        out += "; at the end \(ringsWithData) rings hold \(bytesPending) bytes\n"
        out += "churn: \(domainsRecreated) domains destroyed and recreated, \(ringsReregistered) rings registered again\n"
        return out
    }
}
