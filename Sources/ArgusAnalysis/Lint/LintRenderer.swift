/// `argus lint` output: one block per finding (text), or the report as JSON (`LintReport`).
public enum LintRenderer {
    /// `file:line: ARGO00N name: message` then the rule, indented, then each case when the
    /// rule gave several; a summary line last.
    public static func text(_ report: LintReport) -> String {
        var out = ""
        for f in report.findings {
            let place = f.location.map { "\($0): " } ?? "\(report.policy): "
            out += "\(place)\(f.id) \(f.check): \(f.message)\n"
            if let rule = f.rule { out += "    \(rule)\n" }
            if f.cases.count > 1 { for c in f.cases { out += "      - \(c)\n" } }
        }
        let counts = Dictionary(grouping: report.findings, by: \.id).map { "\($0.key) \($0.value.count)" }.sorted()
        let cases = report.findings.reduce(0) { $0 + $1.cases.count }
        out += "\(report.findings.count) finding\(report.findings.count == 1 ? "" : "s")"
        out += cases == report.findings.count ? "" : ", \(cases) cases"
        out += counts.isEmpty ? "" : " (\(counts.joined(separator: ", ")))"
        out += "; domain types from the \(report.domainTypesFrom): \(report.domainTypes.joined(separator: " "))\n"
        return out
    }
}
