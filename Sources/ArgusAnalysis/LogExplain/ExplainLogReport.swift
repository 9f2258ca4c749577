import Flask

/// Everything `argus explain-log` says about one log (the JSON output is this value).
public struct ExplainLogReport: Sendable, Codable, Equatable {
    public var log: String
    public var lines: Int
    /// argo AVC records read (each may name several permissions).
    public var argoRecords: Int
    public var denials: Int
    public var grants: Int
    /// AVC records of other classes, counted and skipped, by class.
    public var otherClasses: [String: Int]
    public var malformed: [MalformedAVCLine]
    public var explanations: [AVCExplanation]

    public init(log: AVCLog, explainer: AVCExplainer) {
        self.log = log.path
        lines = log.totalLines
        argoRecords = log.records.count
        denials = log.records.filter(\.denied).count
        grants = log.records.count - denials
        otherClasses = log.otherClasses
        malformed = log.malformed
        explanations = log.records.flatMap(explainer.explain)
    }

    /// Findings: a denial, or an AVC line that could not be read.
    public var hasFindings: Bool { denials > 0 || !malformed.isEmpty }
}

/// Text output of `argus explain-log`.
public enum ExplainLogRenderer {
    public static func text(_ report: ExplainLogReport) -> String {
        var out = ""
        for e in report.explanations {
            func who(_ d: LoggedDomain?) -> String {
                guard let d else { return "?" }
                return d.name.map { "\($0) (\(d.logged))" } ?? d.logged
            }
            let pair = e.target.map { t in t == e.source ? "\(who(e.source)) -> itself" : "\(who(e.source)) -> \(who(t))" }
                ?? "\(who(e.source)) -> xen"
            out += "\(report.log):\(e.line): \(e.decision) \(e.permission): \(pair) [hook \(e.hook)]\n"
            out += "    scontext \(e.scontext)\n    tcontext \(e.tcontext)\n"
            for note in e.notes { out += "    note: \(note)\n" }
            for reason in e.reasons { out += "    why: \(reason)\n" }
            for rule in e.rules { out += "    rule: \(rule.description)\n" }
            if let s = e.suggestion {
                out += "    smallest rule: \(s.rule)\n"
                for still in s.stillDeniedBy { out += "      still denied by \(still)\n" }
                for never in s.breaksNeverRules {
                    out += "      BREAKS \(never.location): \(never.rule)\(never.reason.map { " (\($0))" } ?? "")\n"
                }
            }
        }
        for m in report.malformed { out += "\(m.location): malformed AVC line: \(m.reason)\n    \(m.text)\n" }
        let others = report.otherClasses.values.reduce(0, +)
        let otherText = others == 0 ? "" : " (" + report.otherClasses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        out += "\(report.lines) lines: \(report.argoRecords) argo AVC records (\(report.denials) denied, \(report.grants) granted), "
        out += "\(others) other AVC records skipped\(otherText), \(report.malformed.count) malformed\n"
        return out
    }
}
