import ArgoEngine
import Flask
import Foundation

/// Writes an audit as text (matrices), JSON (the documented contract), CSV or Graphviz DOT.
public enum AuditRenderer {
    public static let pairFlows: [ArgoAudit.Flow] = [.registerSingleSource, .send, .notify, .channel]

    // MARK: text

    /// The text audit. Channels are summarised per source domain ("a1 -> dom0, netvm" or
    /// "uivm -> every domain but netvm, isolated"); `verbose` lists each channel on its own line.
    public static func text(_ audit: ArgoAudit, policyPath: String, color: Bool, verbose: Bool = false) -> String {
        var text = ""
        self.text(audit, policyPath: policyPath, color: color, verbose: verbose) { text += $0 }
        return text
    }

    /// The text report in pieces of about 64 KiB handed to `sink` (a row of the matrix at a time).
    public static func text(_ audit: ArgoAudit, policyPath: String, color: Bool, verbose: Bool = false,
                            to sink: (String) -> Void) {
        let sys = audit.system
        let d = sys.domains
        var out = "Argo audit of \(sys.inventory.path) under \(policyPath)\n"
        out += XenProfileJSON.textLine(sys.profile, basis: sys.inventory.profileBasis) + "\n"
        let b = sys.boot
        out += "boot: argo=\(b.argo ? "on" : "off") mac-permissive=\(b.macPermissive ? "on" : "off") xsm=\(b.xsm.rawValue)"
        out += b.xsm == .flask ? " (\(b.flask.rawValue))\n" : "\n"
        for diag in sys.inventory.bootDiagnostics { out += "boot: Xen would print: \(diag)\n" }
        for note in sys.inventory.bootNotes { out += "boot: \(note)\n" }
        out += "\n"
        let nameWidth = max(6, d.map(\.name.count).max() ?? 0)
        out += "DOMAIN".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  DOMID  ARGO  WILDCARD  LABEL\n"
        for (i, dom) in d.enumerated() {
            let flows = audit.domains[i]
            out += dom.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            out += "  " + String(dom.domid).leftPad(5)
            out += "  " + (flows.argo ? "yes" : "no ").padding(toLength: 4, withPad: " ", startingAt: 0)
            out += "  " + (flows.registerAnySource ? "yes" : "no").padding(toLength: 8, withPad: " ", startingAt: 0)
            out += "  " + dom.label
            if let b = dom.buildLabel { out += "  (built as \(b): Argo state decided with it)" }
            if let t = dom.target { out += "  (device model of \(t))" }
            out += "\n"
        }
        out += "\nPairs: row = source, column = target. R register_single_source, S send, N notify, C channel\n"
        let cell = 4
        let width = max(cell, d.map(\.name.count).max() ?? 0)
        out += "".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
        for dom in d { out += " " + dom.name.padding(toLength: width, withPad: " ", startingAt: 0) }
        out += "\n"
        for i in 0..<d.count {
            out += d[i].name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            for j in 0..<d.count {
                var code = ""
                code += audit.has(.registerSingleSource, i, j) ? "R" : "."
                code += audit.has(.send, i, j) ? "S" : "."
                code += audit.has(.notify, i, j) ? "N" : "."
                code += audit.has(.channel, i, j) ? "C" : "."
                let padded = code.padding(toLength: width, withPad: " ", startingAt: 0)
                if color && audit.has(.channel, i, j) {
                    out += " \u{1B}[32m\(padded)\u{1B}[0m"
                } else if color && code == "...." {
                    out += " \u{1B}[2m\(padded)\u{1B}[0m"
                } else {
                    out += " " + padded
                }
            }
            out += "\n"
            if out.utf8.count >= 1 << 16 { sink(out); out = "" }
        }
        // Counted first, then listed or summarised: no list of pairs is built.
        var channelCount = 0
        for i in 0..<d.count { for j in 0..<d.count where audit.has(.channel, i, j) { channelCount += 1 } }
        if verbose {
            out += "\nChannels (\(channelCount)):\n"
            for i in 0..<d.count {
                for j in 0..<d.count where audit.has(.channel, i, j) { out += "  \(d[i].name) -> \(d[j].name)\n" }
                if out.utf8.count >= 1 << 16 { sink(out); out = "" }
            }
        } else {
            out += "\nChannels (\(channelCount)), by source (--verbose lists each):\n"
            channelSummary(audit) { line in
                out += line
                if out.utf8.count >= 1 << 16 { sink(out); out = "" }
            }
        }
        out += "\nReach: per domain, the domains it can send a message to in one hop (a channel) and in any\n"
        out += "number of hops (relayed along channels: the transitive closure; `argus paths` shows the chains)\n"
        reachSummary(audit) { line in
            out += line
            if out.utf8.count >= 1 << 16 { sink(out); out = "" }
        }
        sink(out)
    }

    /// "  a1: 1 hop: netvm, dom0; any: netvm, dom0, uivm" per domain, summarised like channels
    /// ("every domain but …") when a list is most of the domains.
    static func reachSummary(_ audit: ArgoAudit, _ line: (String) -> Void) {
        let d = audit.system.domains
        let closure = ChannelGraph(audit).closure()
        func list(_ reached: [Int], of i: Int) -> String {
            if reached.isEmpty { return "none" }
            if reached.count == d.count { return "every domain (itself included)" }
            func name(_ k: Int) -> String { k == i ? "itself" : d[k].name }
            if reached.count * 2 > d.count {
                let set = Set(reached)
                return "every domain but " + (0..<d.count).filter { !set.contains($0) }.map(name).joined(separator: ", ")
            }
            return reached.map(name).joined(separator: ", ")
        }
        for i in 0..<d.count {
            let direct = (0..<d.count).filter { audit.has(.channel, i, $0) }
            let any = closure[i]
            let tail = direct.isEmpty ? "any: none" : any == direct ? "any: the same" : "any: \(list(any, of: i))"
            line("  \(d[i].name): 1 hop: \(list(direct, of: i)); \(tail)\n")
        }
    }

    /// One line per source domain: the domains it has a channel to, or, when that is most of
    /// them, the ones it has none to; the domains with no channel at all last.
    static func channelSummary(_ audit: ArgoAudit, _ line: (String) -> Void) {
        let d = audit.system.domains
        var silent: [String] = []
        for i in 0..<d.count {
            let reached = (0..<d.count).filter { audit.has(.channel, i, $0) }
            if reached.isEmpty { silent.append(d[i].name); continue }
            if reached.count == d.count {
                line("  \(d[i].name) -> every domain (itself included)\n")
            } else if reached.count * 2 > d.count {
                let missed = (0..<d.count).filter { !audit.has(.channel, i, $0) }.map { $0 == i ? "itself" : d[$0].name }
                line("  \(d[i].name) -> every domain but \(missed.joined(separator: ", "))\n")
            } else {
                line("  \(d[i].name) -> \(reached.map { $0 == i ? "itself" : d[$0].name }.joined(separator: ", "))\n")
            }
        }
        if !silent.isEmpty { line("  no channel from: \(silent.joined(separator: ", "))\n") }
    }

    public static func explanations(_ audit: ArgoAudit) -> String {
        var text = ""
        explanations(audit) { text += $0 }
        return text
    }

    /// Every decision explained, in pieces handed to `sink`.
    public static func explanations(_ audit: ArgoAudit, to sink: (String) -> Void) {
        let explainer = Explainer(audit.system)
        let d = audit.system.domains
        var out = "\nExplanations:\n"
        for i in 0..<d.count {
            for flow in ["argo", "register_any_source"] {
                out += render(flow: flow, source: d[i].name, target: nil, chain: explainer.explain(flow: flow, i, nil),
                              value: flow == "argo" ? audit.domains[i].argo : audit.domains[i].registerAnySource)
            }
        }
        for i in 0..<d.count {
            for j in 0..<d.count {
                for flow in pairFlows {
                    out += render(flow: flow.rawValue, source: d[i].name, target: d[j].name,
                                  chain: explainer.explain(flow: flow.rawValue, i, j), value: audit.has(flow, i, j))
                }
                if out.utf8.count >= 1 << 16 { sink(out); out = "" }
            }
        }
        sink(out)
    }

    public static func render(flow: String, source: String, target: String?, chain: [HookExplanation], value: Bool) -> String {
        var out = "\n\(flow) \(source)\(target.map { " -> \($0)" } ?? ""): \(value ? "yes" : "no")\n"
        for e in chain {
            out += "  hook \(e.hook)(\(e.source)\(e.target.map { ", \($0)" } ?? "")): \(e.allowed ? "allowed" : "denied")\n"
            for step in e.steps { out += "    \(step)\n" }
            for r in e.rules { out += "    rule: \(r.description)\n" }
        }
        return out
    }

    // MARK: JSON (streamed: a large system has millions of pairs)

    public static func json(_ audit: ArgoAudit, policyPath: String, explain: Bool = false) -> String {
        var text = ""
        json(audit, policyPath: policyPath, explain: explain) { text += $0 }
        return text
    }

    /// The JSON document in chunks of about 64 KiB handed to `sink`, so that memory does not
    /// grow with the number of pairs.
    /// `extra`: further top-level keys with their JSON values (the services section).
    public static func json(_ audit: ArgoAudit, policyPath: String, explain: Bool = false,
                            extra: [(key: String, json: String)] = [], to sink: @escaping (String) -> Void) {
        let sys = audit.system
        let d = sys.domains
        var w = JSONStreamWriter(sink: sink)
        w.raw("{\n  \"policy\": "); w.string(policyPath)
        w.raw(",\n  \"system\": "); w.string(sys.inventory.path)
        w.raw(",\n  \"xen\": " + XenProfileJSON.object(sys.profile, basis: sys.inventory.profileBasis))
        w.raw(",\n  \"boot\": {\"argo\": \(sys.boot.argo), \"mac_permissive\": \(sys.boot.macPermissive), \"xsm\": ")
        w.string(sys.boot.xsm.rawValue); w.raw(", \"flask\": "); w.string(sys.boot.flask.rawValue); w.raw("}")
        w.raw(",\n  \"domains\": [")
        // Fields read in place through the buffer (a domain is a large value: no copy of each).
        let quotedNames = d.withUnsafeBufferPointer { doms in doms.indices.map { JSONStreamWriter.quoted(doms[$0].name) } }
        d.withUnsafeBufferPointer { doms in
            for i in doms.indices {
                w.raw(i == 0 ? "\n    {\"name\": " : ",\n    {\"name\": "); w.raw(quotedNames[i])
                w.raw(", \"domid\": "); w.raw(String(doms[i].domid)); w.raw(", \"label\": "); w.string(doms[i].label)
                if let b = doms[i].buildLabel { w.raw(", \"build_label\": "); w.string(b) }
                w.raw(audit.domains[i].argo ? ", \"argo\": true" : ", \"argo\": false")
                w.raw(audit.domains[i].registerAnySource ? ", \"register_any_source\": true" : ", \"register_any_source\": false")
                if let t = doms[i].target { w.raw(", \"target\": "); w.string(t) }
                w.raw("}")
            }
        }
        // Additive: what each domain reaches in one hop (channels) and in any number of hops.
        // One hop: the graph's successors (increasing, as the pairs are).
        let graph = ChannelGraph(audit)
        let closure = graph.closure()
        w.raw(d.isEmpty ? "],\n  \"reach\": [" : "\n  ],\n  \"reach\": [")
        for i in 0..<d.count {
            w.raw(i == 0 ? "\n    {\"domain\": " : ",\n    {\"domain\": "); w.raw(quotedNames[i])
            w.raw(", \"one_hop\": [")
            for (k, j) in graph.successors[i].enumerated() { if k > 0 { w.raw(", ") }; w.raw(quotedNames[j]) }
            w.raw("], \"any_hops\": [")
            for (k, j) in closure[i].enumerated() { if k > 0 { w.raw(", ") }; w.raw(quotedNames[j]) }
            w.raw("]}")
        }
        w.raw(d.isEmpty ? "],\n  \"pairs\": [" : "\n  ],\n  \"pairs\": [")
        let n = d.count
        let first = PairsJSON(quotedNames: quotedNames).write(audit.pairs, n: n, to: &w)
        w.raw(first ? "]" : "\n  ]")
        if explain {
            w.raw(",\n  \"explanations\": ")
            let explainer = Explainer(sys)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // One item at a time: the compact array is its items joined by commas.
            var firstItem = true
            func emit(_ item: ExplainedFlow) {
                w.raw(firstItem ? "[" : ",")
                firstItem = false
                w.raw(String(decoding: (try? encoder.encode(item)) ?? Data("null".utf8), as: UTF8.self))
            }
            for i in 0..<n {
                for flow in ["argo", "register_any_source"] {
                    emit(ExplainedFlow(flow: flow, source: d[i].name, target: nil, chain: explainer.explain(flow: flow, i, nil)))
                }
                for j in 0..<n {
                    for flow in pairFlows {
                        emit(ExplainedFlow(flow: flow.rawValue, source: d[i].name, target: d[j].name, chain: explainer.explain(flow: flow.rawValue, i, j)))
                    }
                }
            }
            w.raw(firstItem ? "[]" : "]")
        }
        for (key, value) in extra {
            w.raw(",\n  "); w.string(key); w.raw(": " + value)
        }
        w.raw("\n}\n")
        w.finish()
    }

    struct ExplainedFlow: Encodable {
        var flow: String
        var source: String
        var target: String?
        var chain: [HookExplanation]
    }

    // MARK: CSV and DOT

    /// One row per ordered pair: `source,target,register_single_source,send,notify,channel`.
    public static func csv(_ audit: ArgoAudit) -> String {
        var text = ""
        csv(audit) { text += $0 }
        return text
    }

    /// The CSV in chunks handed to `sink` (memory independent of the number of pairs).
    public static func csv(_ audit: ArgoAudit, to sink: @escaping (String) -> Void) {
        let d = audit.system.domains
        var w = JSONStreamWriter(sink: sink)
        w.raw("source,target,source_argo,target_argo,register_single_source,send,notify,channel\n")
        let names = d.map { csvField($0.name) }
        for i in 0..<d.count {
            for j in 0..<d.count {
                let bits = audit.pairs[i * d.count + j]
                w.raw("\(names[i]),\(names[j]),\(audit.domains[i].argo),\(audit.domains[j].argo),")
                w.raw("\(bits & 1 != 0),\(bits & 2 != 0),\(bits & 4 != 0),\(bits & 8 != 0)\n")
            }
        }
        w.finish()
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// A Graphviz digraph of channels: one edge per direction; domains without Argo are grey.
    public static func dot(_ audit: ArgoAudit) -> String {
        var text = ""
        dot(audit) { text += $0 }
        return text
    }

    /// The DOT graph in pieces handed to `sink`.
    public static func dot(_ audit: ArgoAudit, to sink: (String) -> Void) {
        let d = audit.system.domains
        var out = "digraph argo {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n"
        for (i, dom) in d.enumerated() {
            let type = audit.system.policy.typeName(audit.system.table.context(of: audit.system.sids[i])!.type)
            var attrs = "label=\(JSONStreamWriter.quoted("\(dom.name)\n\(type)"))"
            if !audit.domains[i].argo { attrs += ", style=dashed, color=grey, fontcolor=grey" }
            else if audit.domains[i].registerAnySource { attrs += ", peripheries=2" }
            out += "  \(JSONStreamWriter.quoted(dom.name)) [\(attrs)];\n"
        }
        for i in 0..<d.count {
            for j in 0..<d.count where audit.has(.channel, i, j) {
                out += "  \(JSONStreamWriter.quoted(d[i].name)) -> \(JSONStreamWriter.quoted(d[j].name))\(i == j ? " [style=dotted]" : "");\n"
            }
            if out.utf8.count >= 1 << 16 { sink(out); out = "" }
        }
        sink(out + "}\n")
    }
}

/// Appends JSON text to a byte buffer: strings escaped per RFC 8259, nothing else interpreted.
/// With a sink, the buffer is handed over whenever it reaches 64 KiB (and by `finish()`).
struct JSONStreamWriter {
    private var bytes: [UInt8] = []
    private let sink: ((String) -> Void)?

    init(sink: ((String) -> Void)? = nil) {
        self.sink = sink
        bytes.reserveCapacity(1 << 16)
    }

    mutating func raw(_ s: String) {
        bytes.append(contentsOf: s.utf8)
        if sink != nil, bytes.count >= 1 << 16 { finish() }
    }

    mutating func bytes(_ b: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: b)
        if sink != nil, bytes.count >= 1 << 16 { finish() }
    }

    /// A large piece: with a sink, what is buffered is handed over, then the piece itself
    /// (one copy, into the string the sink gets); without one, buffered like `bytes`.
    mutating func chunk(_ b: UnsafeBufferPointer<UInt8>) {
        guard let sink else { bytes.append(contentsOf: b); return }
        finish()
        sink(String(decoding: b, as: UTF8.self))
    }

    /// `s` quoted: written in place when it needs no escape (as `quoted` would write it).
    mutating func string(_ s: String) {
        guard !Self.needsEscape(s) else { raw(Self.quoted(s)); return }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: s.utf8)
        bytes.append(UInt8(ascii: "\""))
        if sink != nil, bytes.count >= 1 << 16 { finish() }
    }

    static func needsEscape(_ s: String) -> Bool {
        s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
    }
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Hands what is buffered to the sink.
    mutating func finish() {
        guard let sink, !bytes.isEmpty else { return }
        sink(String(decoding: bytes, as: UTF8.self))
        bytes.removeAll(keepingCapacity: true)
    }

    static func quoted(_ s: String) -> String {
        // Most names and labels need no escape: copied whole.
        if !needsEscape(s) {
            return "\"" + s + "\""
        }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
