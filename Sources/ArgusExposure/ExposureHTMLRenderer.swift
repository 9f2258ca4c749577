import ArgusAnalysis

/// `argus exposure --format html`: one self-contained page, the audit's heat map by type. Per
/// pair flow a type × type matrix (always / conditional / never, the conditions in each cell's
/// title), per type the two per-domain flows, and every counterexample system file.
public enum ExposureHTMLRenderer {
    public static func render(_ r: ExposureReport, xenLine: String) -> String {
        let e = HTMLText.escape
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Argus exposure: \(e(r.policyPath))</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
            table{border-collapse:collapse;margin:.5em 0 1.5em}
            th,td{border:1px solid #ccc;padding:2px 6px;text-align:center}
            th.row{text-align:right}
            td.always{background:#d9534f;color:#fff} td.conditional{background:#f0ad4e} td.never{background:#f4f4f4;color:#999}
            .hint{color:#555} pre{background:#f7f7f7;padding:.5em;overflow:auto}
            </style></head><body>
            <h1>Exposure of \(e(r.policyPath))</h1>
            <p>\(e(xenLine))</p>
            <p class="hint">Over \(r.contextCount) valid domain contexts of \(r.typeCount) types, every relation two domains can be in and \(r.settingCount) boolean setting\(r.settingCount == 1 ? "" : "s")\(r.isExact ? "" : " (APPROXIMATE: see the JSON's universe)"). A: always, C: conditional (hover for the conditions), blank: never. Row = source type, column = target type.</p>

            """
        // Per type.
        out += "<h2>Per domain type</h2><table><tr><th></th>"
        out += ExposureFlow.perDomain.map { "<th>\(e($0.rawValue))</th>" }.joined() + "</tr>\n"
        for (k, name) in r.typeNames.enumerated() {
            out += "<tr><th class=\"row\">\(e(name))</th>"
            for (f, _) in ExposureFlow.perDomain.enumerated() { out += cell(r.perDomain[k][f]) }
            out += "</tr>\n"
        }
        out += "</table>\n"
        // Per pair flow.
        for (f, flow) in ExposureFlow.perPair.enumerated() where flow != .notify {
            out += "<h2>\(e(flow.rawValue))\(flow == .send ? " (and notify, which Xen filters with send)" : "")</h2><table><tr><th></th>"
            out += r.typeNames.map { "<th>\(e($0))</th>" }.joined() + "</tr>\n"
            for s in 0..<r.typeCount {
                out += "<tr><th class=\"row\">\(e(r.typeNames[s]))</th>"
                for t in 0..<r.typeCount { out += cell(r.pair(s, t)[f]) }
                out += "</tr>\n"
            }
            out += "</table>\n"
        }
        if !r.counterexamples.isEmpty {
            out += "<h2>Counterexamples</h2><p class=\"hint\">Each is a system file that <code>argus audit</code> confirms (Argus audited it while writing this page).</p>\n"
            for c in r.counterexamples {
                out += "<details id=\"cx\(c.id)\"><summary>#\(c.id): \(e(c.labels.joined(separator: ", ")))</summary><pre>\(e(c.systemFile))</pre></details>\n"
            }
        }
        return out + "</body></html>\n"
    }

    static func cell(_ c: ExposureCell) -> String {
        let e = HTMLText.escape
        switch c.answer {
        case .never: return "<td class=\"never\"></td>"
        case .always: return "<td class=\"always\" title=\"always\(c.counterexample.map { ", counterexample #\($0)" } ?? "")\">A</td>"
        case .conditional:
            let words = c.conditions?.words.joined(separator: "; ") ?? ""
            return "<td class=\"conditional\" title=\"\(e(words))\(c.counterexample.map { "; counterexample #\($0)" } ?? "")\">C</td>"
        }
    }
}
