import Flask
import Foundation

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
    /// Lines that are not AVC records at all (boot messages, other subsystems, guest
    /// output, another kernel's console), counted and skipped.
    public var skippedLines: Int
    public var malformed: [MalformedAVCLine]
    public var explanations: [AVCExplanation]

    public init(log: AVCLog, explainer: AVCExplainer) {
        self.log = log.path
        lines = log.totalLines
        argoRecords = log.records.count
        denials = log.records.filter(\.denied).count
        grants = log.records.count - denials
        otherClasses = log.otherClasses
        skippedLines = log.otherLines
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
        for e in report.explanations { out += text(e, log: report.log) }
        for m in report.malformed { out += text(m) }
        out += summary(lines: report.lines, argoRecords: report.argoRecords, denials: report.denials, grants: report.grants,
                       otherClasses: report.otherClasses, skippedLines: report.skippedLines, malformed: report.malformed.count)
        return out
    }

    static func text(_ e: AVCExplanation, log: String) -> String {
        func who(_ d: LoggedDomain?) -> String {
            guard let d else { return "?" }
            return d.name.map { "\($0) (\(d.logged))" } ?? d.logged
        }
        let pair = e.target.map { t in t == e.source ? "\(who(e.source)) -> itself" : "\(who(e.source)) -> \(who(t))" }
            ?? "\(who(e.source)) -> xen"
        var out = "\(log):\(e.line): \(e.decision) \(e.permission): \(pair) [hook \(e.hook)]\n"
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
        return out
    }

    static func text(_ m: MalformedAVCLine) -> String { "\(m.location): malformed AVC line: \(m.reason)\n    \(m.text)\n" }

    static func summary(lines: Int, argoRecords: Int, denials: Int, grants: Int, otherClasses: [String: Int], skippedLines: Int,
                        malformed: Int) -> String {
        let others = otherClasses.values.reduce(0, +)
        let otherText = others == 0 ? "" : " (" + otherClasses.sorted { $0.key < $1.key }.map { "\(ErrorText.escaped($0.key)) \($0.value)" }.joined(separator: ", ") + ")"
        return "\(lines) lines: \(argoRecords) argo AVC records (\(denials) denied, \(grants) granted), "
            + "\(others) other AVC records skipped\(otherText), \(skippedLines) other lines skipped, \(malformed) malformed\n"
    }
}

/// `argus explain-log` over a log of any size: the log is read three times from disk (counts,
/// then explanations, then malformed lines) and the output handed to a sink piece by piece, so
/// memory does not grow with the number of lines. The bytes are those of
/// ``ExplainLogRenderer/text(_:)`` and of the report's JSON encoding.
public enum ExplainLogStreamer {
    public enum Format: Sendable { case text, json }

    /// Writes the whole output to `sink`; returns whether the log has findings (a denial or a
    /// malformed AVC line).
    public static func run(log path: String, explainer: AVCExplainer, format: Format, to sink: (String) -> Void) throws -> Bool {
        var counts = ExplainLogReport(log: AVCLog(path: path), explainer: explainer)
        var malformedCount = 0
        /// Counts one line; returns its argo record, if it is one.
        func count(_ line: Substring, _ number: Int) -> AVCLogRecord? {
            counts.lines += 1
            switch AVCLogParser.classify(line, number: number, path: path) {
            case .other: counts.skippedLines += 1
            case .argoRecord(let record):
                counts.argoRecords += 1
                if record.denied { counts.denials += 1 } else { counts.grants += 1 }
                return record
            case .otherClass(let tclass): counts.otherClasses[tclass, default: 0] += 1
            case .malformed: malformedCount += 1
            }
            return nil
        }
        if format == .text {
            // Text needs the counts only at the end: explain while counting (one pass fewer).
            try AVCLogParser.forEachLine(of: path) { line, number in
                guard let record = count(line, number) else { return }
                for explanation in explainer.explain(record) { sink(ExplainLogRenderer.text(explanation, log: path)) }
            }
        } else {
            try AVCLogParser.forEachLine(of: path) { line, number in _ = count(line, number) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // The document around the two lists, from the encoder itself (lists left empty).
        let skeleton = String(decoding: try encoder.encode(counts), as: UTF8.self) + "\n"
        let emptyList = "[\n\n  ]"
        let explanationsKey = "\"explanations\" : ", malformedKey = "\"malformed\" : "
        let head = skeleton.range(of: explanationsKey + emptyList)!
        let middle = skeleton.range(of: malformedKey + emptyList)!
        func item(_ value: some Encodable) throws -> String {
            let text = String(decoding: try encoder.encode(value), as: UTF8.self)
            return text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n")
        }
        var first = true
        func openItem() { if format == .json { sink(first ? "[\n" : ",\n") } }

        if format == .json {
            sink(String(skeleton[..<head.lowerBound]) + explanationsKey)
            try AVCLogParser.forEachLine(of: path) { line, number in
                guard case .argoRecord(let record) = AVCLogParser.classify(line, number: number, path: path) else { return }
                for explanation in explainer.explain(record) {
                    openItem()
                    sink(try item(explanation))
                    first = false
                }
            }
            sink(first ? emptyList : "\n  ]")
            sink(String(skeleton[head.upperBound ..< middle.lowerBound]) + malformedKey)
        }
        first = true
        if malformedCount > 0 {
            try AVCLogParser.forEachLine(of: path) { line, number in
                guard case .malformed(let malformed) = AVCLogParser.classify(line, number: number, path: path) else { return }
                switch format {
                case .text: sink(ExplainLogRenderer.text(malformed))
                case .json:
                    openItem()
                    sink(try item(malformed))
                }
                first = false
            }
        }
        switch format {
        case .text:
            sink(ExplainLogRenderer.summary(lines: counts.lines, argoRecords: counts.argoRecords, denials: counts.denials,
                                            grants: counts.grants, otherClasses: counts.otherClasses, skippedLines: counts.skippedLines,
                                            malformed: malformedCount))
        case .json:
            sink(first ? emptyList : "\n  ]")
            sink(String(skeleton[middle.upperBound...]))
        }
        return counts.denials > 0 || malformedCount > 0
    }
}
