import Foundation

/// `argus audit --format html`: one self-contained page (inline CSS, SVG and script; no
/// network): the pair matrix as a heat map, the channel graph, a card per domain, and the
/// explanation of any cell or domain in a side panel on click.
public enum AuditHTMLRenderer {
    /// Systems larger than this get the page without embedded explanations (the JSON would
    /// grow with the square of the domain count); `argus query` explains any pair.
    public static let explanationLimit = 120

    struct Embedded: Encodable {
        struct Cell: Encodable {
            var flows: [String]
            var channel: [HookExplanation]
            var register: [HookExplanation]
        }
        var domains: [String]
        var cells: [Cell]
        var domainChains: [[HookExplanation]]
        var explained: Bool
    }

    /// `sections`: further HTML sections placed before the domain cards (the services matrix).
    public static func render(_ audit: ArgoAudit, policyPath: String, sections: [String] = []) -> String {
        let system = audit.system
        let d = system.domains
        let n = d.count
        let explained = n <= explanationLimit
        let explainer = Explainer(system)
        var cells: [Embedded.Cell] = []
        var domainChains: [[HookExplanation]] = []
        if explained {
            for i in 0..<n {
                domainChains.append(explainer.explain(flow: "register_any_source", i, nil))
                for j in 0..<n {
                    cells.append(Embedded.Cell(flows: AuditRenderer.pairFlows.filter { audit.has($0, i, j) }.map(\.rawValue),
                                               channel: explainer.explain(flow: "channel", i, j),
                                               register: Array(explainer.explain(flow: "register_single_source", i, j).suffix(1))))
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = Embedded(domains: d.map(\.name), cells: cells, domainChains: domainChains, explained: explained)
        let json = HTMLText.scriptSafeJSON(String(decoding: (try? encoder.encode(data)) ?? Data("{}".utf8), as: UTF8.self))
        let e = HTMLText.escape
        let boot = system.boot
        let channels = (0..<n).reduce(0) { sum, i in sum + (0..<n).filter { audit.has(.channel, i, $0) }.count }

        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>Argo audit: \(e(system.inventory.path))</title>\n<style>\n\(stylesheet)</style>\n</head>\n<body>\n"
        out += "<header><h1>Argo audit</h1><p class=\"meta\"><b>system</b> \(e(system.inventory.path)) · <b>policy</b> \(e(policyPath)) · "
        out += "<b>xen</b> \(e(system.profile.description)) (\(e(system.inventory.profileBasis))) · "
        out += "<b>boot</b> argo=\(boot.argo ? "on" : "off") mac-permissive=\(boot.macPermissive ? "on" : "off") xsm=\(e(boot.xsm.rawValue))"
        out += boot.xsm == .flask ? " (\(e(boot.flask.rawValue)))" : ""
        out += " · \(n) domains, \(audit.domains.filter(\.argo).count) with Argo, \(channels) channels</p></header>\n"
        out += "<main>\n<div class=\"content\">\n"

        // The heat map and the graph, side by side when they fit.
        out += "<div class=\"pair\"><section><h2>Pair matrix</h2><p class=\"hint\">Row = source, column = target. Letters: R register_single_source, "
        out += "S send, N notify, C channel. Colour: number of flows allowed. Grey: a domain without Argo. Click a cell.</p>\n"
        out += "<div class=\"scroll\"><table class=\"matrix\"><thead><tr><th></th>"
        for (j, dom) in d.enumerated() {
            out += "<th class=\"col\(audit.domains[j].argo ? "" : " noargo")\" data-d=\"\(j)\"><span>\(e(dom.name))</span></th>"
        }
        out += "</tr></thead><tbody>\n"
        for i in 0..<n {
            out += "<tr><th class=\"row\(audit.domains[i].argo ? "" : " noargo")\" data-d=\"\(i)\">\(e(d[i].name))</th>"
            for j in 0..<n {
                let flows = AuditRenderer.pairFlows.filter { audit.has($0, i, j) }
                let code = String(AuditRenderer.pairFlows.map { audit.has($0, i, j) ? $0.letter : "." })
                let grey = !audit.domains[i].argo || !audit.domains[j].argo
                let title = "\(d[i].name) → \(d[j].name): \(flows.isEmpty ? "nothing" : flows.map(\.rawValue).joined(separator: ", "))"
                out += "<td class=\"cell h\(flows.count)\(grey ? " noargo" : "")\" data-s=\"\(i)\" data-t=\"\(j)\" title=\"\(e(title))\">\(code)</td>"
            }
            out += "</tr>\n"
        }
        out += "</tbody></table></div>\n<p class=\"legend\">"
        for k in 0...4 { out += "<span class=\"cell h\(k)\">\(k)</span>" }
        out += " flows allowed <span class=\"cell noargo\">&nbsp;</span> no Argo</p></section>\n"

        // The graph.
        out += "<section><h2>Channel graph</h2><p class=\"hint\">An arrow per channel direction (a message can really land). "
        out += "Grey: no Argo. Ring: may register wildcard rings. Click a domain.</p>\n"
        out += ChannelGraphLayout(audit, size: n > 24 ? 720 : 440).svg + "</section></div>\n"

        for section in sections { out += section }
        // Cards.
        let closure = ChannelGraph(audit).closure()
        out += "<section><h2>Domains</h2><div class=\"cards\">\n"
        for (i, dom) in d.enumerated() {
            let flows = audit.domains[i]
            let outgoing = (0..<n).filter { $0 != i && audit.has(.channel, i, $0) }.map { e(d[$0].name) }
            let incoming = (0..<n).filter { $0 != i && audit.has(.channel, $0, i) }.map { e(d[$0].name) }
            out += "<div class=\"card\(flows.argo ? "" : " noargo")\" data-d=\"\(i)\"><h3>\(e(dom.name)) <small>domid \(dom.domid)</small></h3>"
            out += "<p class=\"label\">\(e(dom.label))</p><dl>"
            out += "<dt>argo</dt><dd class=\"\(flows.argo ? "yes" : "no")\">\(flows.argo ? "yes" : "no")</dd>"
            out += "<dt>wildcard</dt><dd class=\"\(flows.registerAnySource ? "yes" : "no")\">\(flows.registerAnySource ? "yes" : "no")</dd>"
            if let target = dom.target { out += "<dt>device model of</dt><dd>\(e(target))</dd>" }
            out += "<dt>sends to</dt><dd>\(outgoing.isEmpty ? "—" : outgoing.joined(separator: ", "))</dd>"
            out += "<dt>hears from</dt><dd>\(incoming.isEmpty ? "—" : incoming.joined(separator: ", "))</dd>"
            // Relayed along channels: the transitive closure (`argus paths` shows the chains).
            let relayed = closure[i].filter { $0 != i && !audit.has(.channel, i, $0) }.map { e(d[$0].name) }
            out += "<dt>relayed to</dt><dd>\(relayed.isEmpty ? "—" : relayed.joined(separator: ", "))</dd>"
            if audit.has(.channel, i, i) { out += "<dt>itself</dt><dd>channel to itself</dd>" }
            out += "</dl></div>\n"
        }
        out += "</div></section>\n</div>\n"
        out += "<aside id=\"panel\"><h2>Explanation</h2><div id=\"explanation\"><p class=\"hint\">"
        out += explained ? "Click a matrix cell, a domain in the graph, a row or column header, or a card."
                         : "This system has more than \(explanationLimit) domains: explanations are not embedded; use argus query."
        out += "</p></div></aside>\n</main>\n"
        out += "<script type=\"application/json\" id=\"argus-data\">\(json)</script>\n"
        out += "<script>\n\(script)</script>\n</body>\n</html>\n"
        return out
    }

    static let stylesheet = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2733;background:#fafbfc}
        header{padding:12px 20px;background:#1d2733;color:#fff}header h1{margin:0;font-size:20px}
        .meta{margin:4px 0 0;color:#c9d3de;font-size:13px}main{display:flex;align-items:flex-start}
        .content{flex:1;min-width:0;padding:0 20px 20px}h2{font-size:16px;margin:18px 0 4px}.hint{color:#5b6b7c;margin:0 0 8px;font-size:12px;max-width:440px}
        .pair{display:flex;flex-wrap:wrap;gap:0 28px;align-items:flex-start}
        .scroll{overflow:auto}table.matrix{border-collapse:collapse;font:12px ui-monospace,Menlo,Consolas,monospace}
        .matrix th{font-weight:600;padding:2px 6px;white-space:nowrap;cursor:pointer}.matrix th.row{text-align:right}
        .matrix th.col{height:90px;vertical-align:bottom}.matrix th.col span{writing-mode:vertical-rl;transform:rotate(180deg)}
        .cell{display:table-cell;width:44px;height:26px;text-align:center;border:1px solid #fff;cursor:pointer}
        .legend .cell{display:inline-block;width:24px;height:18px;line-height:18px;margin-right:2px}
        .h0{background:#eef1f4;color:#9aa7b4}.h1{background:#d6efe0}.h2{background:#a8dcbc}.h3{background:#6cc193}.h4{background:#2b9a5e;color:#fff}
        .noargo,.matrix .cell.noargo{background:repeating-linear-gradient(45deg,#d9dde2,#d9dde2 4px,#cfd4da 4px,#cfd4da 8px);color:#8894a0}
        th.noargo{color:#9aa7b4;background:none}.cell.selected{outline:3px solid #e0a100;outline-offset:-2px}
        svg.graph{background:#fff;border:1px solid #dfe4ea;border-radius:6px;max-width:100%;height:auto}
        .edge{fill:none;stroke:#2b7a4b;stroke-width:1.6;opacity:.75;cursor:pointer}.edge:hover{stroke-width:3;opacity:1}
        .node circle{fill:#2b9a5e;stroke:#fff;stroke-width:2}.node .halo{fill:none;stroke:#2b9a5e;stroke-width:1.5}
        .node.noargo circle{fill:#b8c0c8}.node text{font-size:12px;fill:#1d2733}.node{cursor:pointer}
        .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:10px}
        .card{background:#fff;border:1px solid #dfe4ea;border-radius:6px;padding:8px 12px;cursor:pointer}.card.noargo{background:#f0f2f4;color:#7a8794}
        .card h3{margin:0;font-size:15px}.card small{color:#7a8794;font-weight:400}.label{font:12px ui-monospace,monospace;color:#5b6b7c;margin:2px 0 6px;word-break:break-all}
        dl{display:grid;grid-template-columns:auto 1fr;gap:1px 8px;margin:0;font-size:12px}dt{color:#5b6b7c}dd{margin:0}.yes{color:#1f7a45;font-weight:600}.no{color:#a33}
        aside{width:380px;position:sticky;top:0;max-height:100vh;overflow:auto;background:#fff;border-left:1px solid #dfe4ea;padding:0 16px 16px;box-sizing:border-box}
        .hook{border-left:3px solid #2b9a5e;padding:2px 8px;margin:8px 0}.hook.denied{border-color:#c0392b}.hook h4{margin:0;font-size:13px}
        .hook ul{margin:2px 0;padding-left:16px;font-size:12px}.rule{font:11px ui-monospace,monospace;color:#35506b;word-break:break-all}

        """

    static let script = """
        (function () {
          var data = JSON.parse(document.getElementById('argus-data').textContent);
          var box = document.getElementById('explanation');
          var n = data.domains.length;
          function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
          function chain(title, hooks) {
            box.appendChild(el('h3', null, title));
            hooks.forEach(function (h) {
              var div = el('div', 'hook' + (h.allowed ? '' : ' denied'));
              div.appendChild(el('h4', null, 'hook ' + h.hook + '(' + h.source + (h.target ? ', ' + h.target : '') + '): ' + (h.allowed ? 'allowed' : 'denied')));
              var ul = el('ul');
              h.steps.forEach(function (s) { ul.appendChild(el('li', null, s)); });
              h.rules.forEach(function (r) {
                var where = r.location ? r.location.file + (r.location.line ? ':' + r.location.line : '') + ': ' : '';
                ul.appendChild(el('li', 'rule', 'rule: ' + where + r.text));
              });
              div.appendChild(ul);
              box.appendChild(div);
            });
          }
          function clear() { box.textContent = ''; document.querySelectorAll('.selected').forEach(function (c) { c.classList.remove('selected'); }); }
          function showCell(s, t, cell) {
            if (!data.explained) return;
            clear();
            if (cell) cell.classList.add('selected');
            var c = data.cells[s * n + t];
            box.appendChild(el('p', null, data.domains[s] + ' \\u2192 ' + data.domains[t] + ': ' + (c.flows.length ? c.flows.join(', ') : 'nothing allowed')));
            chain('channel ' + (c.flows.indexOf('channel') >= 0 ? 'yes' : 'no'), c.channel);
            chain('register_single_source ' + (c.flows.indexOf('register_single_source') >= 0 ? 'yes' : 'no'), c.register);
          }
          function showDomain(d) {
            if (!data.explained) return;
            clear();
            box.appendChild(el('p', null, data.domains[d]));
            chain('argo and wildcard rings', data.domainChains[d]);
          }
          document.querySelectorAll('td.cell').forEach(function (td) {
            td.addEventListener('click', function () { showCell(+td.dataset.s, +td.dataset.t, td); });
          });
          document.querySelectorAll('.edge').forEach(function (p) {
            p.addEventListener('click', function () { showCell(+p.dataset.s, +p.dataset.t, null); });
          });
          document.querySelectorAll('[data-d]').forEach(function (e) {
            e.addEventListener('click', function () { showDomain(+e.dataset.d); });
          });
          var first = document.querySelector('td.cell.h4') || document.querySelector('td.cell');
          if (first && data.explained && location.hash !== '#none') showCell(+first.dataset.s, +first.dataset.t, first);
        })();

        """
}

extension ArgoAudit.Flow {
    /// The matrix letter: R, S, N or C.
    var letter: Character {
        switch self {
        case .registerSingleSource: "R"
        case .send: "S"
        case .notify: "N"
        case .channel: "C"
        }
    }
}
