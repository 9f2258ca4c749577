import Foundation

/// Text, JSON and CSV for an exposure report (JSON contract: docs/EXPOSURE.md).
public enum ExposureRenderer {
    // MARK: text

    public static func text(_ r: ExposureReport) -> String {
        var out = header(r).map { $0 + "\n" }.joined()
        let width = max(4, r.typeNames.map(\.count).max() ?? 4)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        out += "\nDomain types:\n"
        for (k, name) in r.typeNames.enumerated() { out += "  \(String(k + 1).leftPad(3)) \(name)\n" }
        out += "\nPer type: A argo, W register_any_source (A always, N never, C conditional)\n"
        for (k, name) in r.typeNames.enumerated() {
            out += "  \(pad(name, width))  A \(r.perDomain[k][0].answer.letter)  W \(r.perDomain[k][1].answer.letter)\n"
        }
        // The matrix shows the types that take part in some possible pair flow.
        let shown = (0..<r.typeCount).filter { k in (0..<r.typeCount).contains { r.pairs[k * r.typeCount + $0] != nil || r.pairs[$0 * r.typeCount + k] != nil } }
        let hidden = (0..<r.typeCount).filter { !shown.contains($0) }
        out += "\nPairs: row = source, column = target (numbers as above); each cell is register_single_source,\n"
        out += "send, notify, channel as A always, N never, C conditional\n"
        out += "     " + shown.map { String($0 + 1).leftPad(4) + " " }.joined().trimmingTrailingSpaces() + "\n"
        for s in shown {
            var line = String(s + 1).leftPad(4) + " "
            for t in shown { line += String(r.pair(s, t).map(\.answer.letter)) + " " }
            out += line.trimmingTrailingSpaces() + "\n"
        }
        if !hidden.isEmpty {
            out += "Never in any pair flow, either side (left out above): " + hidden.map { r.typeNames[$0] }.joined(separator: ", ") + "\n"
        }
        out += "\nWhen (conditional answers) and counterexamples (#N below):\n"
        for (k, name) in r.typeNames.enumerated() {
            for (f, flow) in ExposureFlow.perDomain.enumerated() {
                out += detail("\(name) \(flow.rawValue)", r.perDomain[k][f])
            }
        }
        for s in 0..<r.typeCount {
            for t in 0..<r.typeCount {
                guard let row = r.pairs[s * r.typeCount + t] else { continue }
                for (f, flow) in ExposureFlow.perPair.enumerated() {
                    out += detail("\(r.typeNames[s]) -> \(r.typeNames[t]) \(flow.rawValue)", row[f])
                }
            }
        }
        out += "\nCounterexamples (each confirmed by `argus audit` on the system file shown):\n"
        for c in r.counterexamples {
            out += "\n" + c.systemFile
        }
        return out
    }

    static func detail(_ what: String, _ cell: ExposureCell) -> String {
        guard cell.answer != .never else { return "" }
        var line = "  \(what): \(cell.answer.rawValue)"
        if let c = cell.conditions { line += "; " + c.words.joined(separator: "; ") }
        if let id = cell.counterexample { line += " (#\(id))" }
        return line + "\n"
    }

    static func header(_ r: ExposureReport) -> [String] {
        var lines = ["Exposure of \(r.policyPath) over every valid domain label"]
        lines.append("Assumed boot: argo=1, xsm=flask, flask=enforcing; mac-permissive both off and on (it changes register_any_source and channel only)")
        var universe = "Universe: \(r.contextCount) contexts of \(r.typeCount) domain types (users x their roles x the roles' types; object_r not used)"
        switch r.levelMode {
        case .off: universe += "; no MLS"
        case .exact: universe += "; MLS exact: every range over all \(r.levelCount) levels"
        case .named: universe += "; MLS APPROXIMATE: ranges over the \(r.levelCount) levels the policy names only (too many to enumerate)"
        case .namedRanges: universe += "; MLS APPROXIMATE: only the ranges the policy names and its \(r.levelCount) named levels as single-level ranges (too many to enumerate)"
        }
        lines.append(universe)
        if !r.withoutSelfSID.isEmpty {
            lines.append("Left out (Xen cannot compute their self SID): \(r.withoutSelfSID.joined(separator: ", "))")
        }
        lines.append("Relations: unrelated domains, the same domain (self SID), device model and target (target SID)")
        var bools: String
        if r.relevantBooleans.isEmpty {
            bools = "Booleans: none decides an Argo rule"
        } else if r.booleanMode == .exact {
            bools = "Booleans: exact, every combination (\(r.settingCount)) of \(r.relevantBooleans.joined(separator: ", "))"
        } else {
            bools = "Booleans: APPROXIMATE, per boolean not per combination (\(r.settingCount) settings) over \(r.relevantBooleans.joined(separator: ", "))"
        }
        if !r.fixedBooleans.isEmpty { bools += "; fixed: " + r.fixedBooleans.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") }
        if !r.irrelevantBooleans.isEmpty { bools += "; no effect on Argo: " + r.irrelevantBooleans.joined(separator: ", ") }
        lines.append(bools)
        return lines
    }

    // MARK: JSON

    struct JSONCell: Encodable {
        var answer: String
        var conditions: ExposureConditions?
        var counterexample: Int?
        init(_ c: ExposureCell) { answer = c.answer.rawValue; conditions = c.conditions; counterexample = c.counterexample }
    }
    struct JSONType: Encodable {
        var type: String
        var argo: JSONCell
        var registerAnySource: JSONCell
        enum CodingKeys: String, CodingKey { case type, argo, registerAnySource = "register_any_source" }
    }
    struct JSONPair: Encodable {
        var source: String, target: String
        var registerSingleSource: JSONCell, send: JSONCell, notify: JSONCell, channel: JSONCell
        enum CodingKeys: String, CodingKey {
            case source, target, send, notify, channel
            case registerSingleSource = "register_single_source"
        }
    }
    struct JSONClaim: Encodable { var flow: String; var source: String; var target: String? }
    struct JSONCounterexample: Encodable {
        var id: Int
        var labels: [String]
        var relation: String?
        var booleans: [String: Bool]
        var macPermissive: Bool
        var systemFile: String
        var claims: [JSONClaim]
        enum CodingKeys: String, CodingKey {
            case id, labels, relation, booleans, claims
            case macPermissive = "mac_permissive", systemFile = "system_file"
        }
    }
    struct JSONBooleans: Encodable { var mode: String; var enumerated: [String]; var fixed: [String: Bool]; var irrelevant: [String]; var settings: Int }
    struct JSONUniverse: Encodable {
        var contexts: Int, types: Int, mls: String, levels: Int
        var withoutSelfSID: [String]
        var relations: [String]
        var booleans: JSONBooleans
        enum CodingKeys: String, CodingKey {
            case contexts, types, mls, levels, relations, booleans
            case withoutSelfSID = "without_self_sid"
        }
    }
    struct JSONAssumptions: Encodable {
        var argo = true, xsm = "flask", flask = "enforcing"
        var macPermissive = ["off", "on"]
        var objectR = "not a domain role"
        enum CodingKeys: String, CodingKey { case argo, xsm, flask, macPermissive = "mac_permissive", objectR = "object_r" }
    }
    struct JSONReport: Encodable {
        var format = "argus-exposure/1"
        var policy: String
        var exact: Bool
        var assumptions = JSONAssumptions()
        var universe: JSONUniverse
        var types: [JSONType]
        var pairs: [JSONPair]
        var counterexamples: [JSONCounterexample]
    }

    public static func json(_ r: ExposureReport) -> String {
        let universe = JSONUniverse(
            contexts: r.contextCount, types: r.typeCount, mls: r.levelMode.rawValue, levels: r.levelCount,
            withoutSelfSID: r.withoutSelfSID, relations: ExposureRelation.allCases.map(\.key),
            booleans: JSONBooleans(mode: r.booleanMode.rawValue, enumerated: r.relevantBooleans, fixed: r.fixedBooleans,
                                   irrelevant: r.irrelevantBooleans, settings: r.settingCount))
        let types = r.typeNames.enumerated().map { k, name in
            JSONType(type: name, argo: JSONCell(r.perDomain[k][0]), registerAnySource: JSONCell(r.perDomain[k][1]))
        }
        var pairs: [JSONPair] = []
        for s in 0..<r.typeCount {
            for t in 0..<r.typeCount {
                guard let row = r.pairs[s * r.typeCount + t] else { continue }
                pairs.append(JSONPair(source: r.typeNames[s], target: r.typeNames[t], registerSingleSource: JSONCell(row[0]),
                                      send: JSONCell(row[1]), notify: JSONCell(row[2]), channel: JSONCell(row[3])))
            }
        }
        let counterexamples = r.counterexamples.map { c in
            JSONCounterexample(id: c.id, labels: c.labels, relation: c.relation?.key, booleans: c.booleans, macPermissive: c.macPermissive,
                               systemFile: c.systemFile, claims: c.claims.map { JSONClaim(flow: $0.flow.rawValue, source: $0.source, target: $0.target) })
        }
        let report = JSONReport(policy: r.policyPath, exact: r.isExact, universe: universe, types: types, pairs: pairs, counterexamples: counterexamples)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(report)) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: CSV

    /// One row per answer other than never (a missing row is never): per-type flows have an empty target.
    public static func csv(_ r: ExposureReport) -> String {
        var out = "source,target,flow,answer,conditions,counterexample\n"
        func row(_ s: String, _ t: String, _ flow: ExposureFlow, _ c: ExposureCell) {
            guard c.answer != .never else { return }
            let words = c.conditions?.words.joined(separator: "; ") ?? ""
            out += [s, t, flow.rawValue, c.answer.rawValue, field(words), c.counterexample.map(String.init) ?? ""].joined(separator: ",") + "\n"
        }
        for (k, name) in r.typeNames.enumerated() {
            for (f, flow) in ExposureFlow.perDomain.enumerated() { row(name, "", flow, r.perDomain[k][f]) }
        }
        for s in 0..<r.typeCount {
            for t in 0..<r.typeCount {
                guard let cells = r.pairs[s * r.typeCount + t] else { continue }
                for (f, flow) in ExposureFlow.perPair.enumerated() { row(r.typeNames[s], r.typeNames[t], flow, cells[f]) }
            }
        }
        return out
    }

    static func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// Text, JSON and CSV for `argus exposure --system` (what-if).
public enum WhatIfRenderer {
    static let flows = ["register_single_source", "send", "notify", "channel"]

    public static func text(_ r: WhatIfReport) -> String {
        var out = "What-if exposure of \(r.systemPath) under \(r.policyPath): a new domain with any of the \(r.contextCount) valid labels\n"
        out += "Boot from the system file: argo=\(r.boot.argo ? 1 : 0), mac-permissive=\(r.boot.macPermissive ? 1 : 0), xsm=\(r.boot.xsm.rawValue), flask=\(r.boot.flask.rawValue)\n"
        let bools = r.booleans.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        out += "Booleans: the policy's defaults" + (bools.isEmpty ? "" : ", with " + bools.joined(separator: ", ")) + "\n"
        out += "New domains: unrelated to every domain" + (r.deviceModelsConsidered ? ", and as the device model of each" : " (device models not considered: too many labels)") + "\n"
        out += "Each answer is the audit of the system with the new domains added (A all labels of the type, C some)\n"
        for row in r.rows {
            out += "\n\(row.domain) (\(row.label))\n"
            for (f, flow) in flows.enumerated() {
                out += "  new -> \(row.domain) \(flow): " + line(row.reaching[f]) + "\n"
                out += "  \(row.domain) -> new \(flow): " + line(row.reached[f]) + "\n"
            }
        }
        return out
    }

    static func line(_ answers: [WhatIfReport.Answer]) -> String {
        guard !answers.isEmpty else { return "none" }
        return answers.map { a in
            a.answer == .always ? "\(a.type) (A)" : "\(a.type) (C: \(a.labels.prefix(4).joined(separator: ", "))\(a.labels.count > 4 ? " and \(a.labels.count - 4) more" : ""))"
        }.joined(separator: "; ")
    }

    struct JSONAnswer: Encodable { var type: String; var answer: String; var labels: [String] }
    struct JSONRow: Encodable {
        var domain: String, label: String
        var reaching: [String: [JSONAnswer]], reached: [String: [JSONAnswer]]
    }
    struct JSONWhatIf: Encodable {
        var format = "argus-exposure-whatif/1"
        var policy: String, system: String
        var booleans: [String: Bool]
        var contexts: Int
        var deviceModels: Bool
        var domains: [JSONRow]
        enum CodingKeys: String, CodingKey { case format, policy, system, booleans, contexts, domains, deviceModels = "device_models" }
    }

    public static func json(_ r: WhatIfReport) -> String {
        func map(_ a: [[WhatIfReport.Answer]]) -> [String: [JSONAnswer]] {
            Dictionary(uniqueKeysWithValues: flows.enumerated().map { f, flow in (flow, a[f].map { JSONAnswer(type: $0.type, answer: $0.answer.rawValue, labels: $0.labels) }) })
        }
        let report = JSONWhatIf(policy: r.policyPath, system: r.systemPath, booleans: r.booleans, contexts: r.contextCount, deviceModels: r.deviceModelsConsidered,
                                domains: r.rows.map { JSONRow(domain: $0.domain, label: $0.label, reaching: map($0.reaching), reached: map($0.reached)) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self) + "\n"
    }

    public static func csv(_ r: WhatIfReport) -> String {
        var out = "domain,direction,flow,type,answer,labels\n"
        for row in r.rows {
            for (f, flow) in flows.enumerated() {
                for (direction, answers) in [("reaching", row.reaching[f]), ("reached", row.reached[f])] {
                    for a in answers {
                        out += [row.domain, direction, flow, a.type, a.answer.rawValue, ExposureRenderer.field(a.labels.joined(separator: "; "))].joined(separator: ",") + "\n"
                    }
                }
            }
        }
        return out
    }
}
