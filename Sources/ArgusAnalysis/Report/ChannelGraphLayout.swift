import Foundation

/// The channel graph drawn as inline SVG: domains on a circle, one arrow per channel
/// direction (curved, so that both directions of a pair stay visible), computed here so the
/// report needs no layout library and no network.
public struct ChannelGraphLayout: Sendable, Hashable {
    public struct Node: Sendable, Hashable {
        public var name: String
        public var x: Double
        public var y: Double
        public var argo: Bool
        public var wildcard: Bool
    }

    public struct Edge: Sendable, Hashable {
        public var source: Int
        public var target: Int
        /// SVG path data from the source's rim to the target's rim.
        public var path: String
    }

    public let size: Double
    public let nodeRadius: Double
    public let nodes: [Node]
    public let edges: [Edge]

    public init(_ audit: ArgoAudit, size: Double = 560) {
        let d = audit.system.domains
        let n = d.count
        self.size = size
        nodeRadius = n > 40 ? 5 : n > 16 ? 9 : 14
        let center = size / 2
        let ring = size / 2 - (size < 500 ? 85 : 100)
        nodes = d.enumerated().map { i, dom in
            let angle = -Double.pi / 2 + 2 * Double.pi * Double(i) / Double(max(n, 1))
            return Node(name: dom.name, x: center + ring * cos(angle), y: center + ring * sin(angle),
                        argo: audit.domains[i].argo, wildcard: audit.domains[i].registerAnySource)
        }
        var edges: [Edge] = []
        for i in 0..<n {
            for j in 0..<n where i != j && audit.has(.channel, i, j) {
                edges.append(Edge(source: i, target: j, path: Self.curve(nodes[i], nodes[j], radius: nodeRadius)))
            }
        }
        self.edges = edges
    }

    /// A quadratic curve bent to the right of the direction of travel, trimmed to the node rims
    /// (and a little more at the head, for the arrow).
    static func curve(_ a: Node, _ b: Node, radius: Double) -> String {
        let dx = b.x - a.x, dy = b.y - a.y
        let length = max((dx * dx + dy * dy).squareRoot(), 1)
        let (ux, uy) = (dx / length, dy / length)
        let bend = min(40, length * 0.15)
        let control = ((a.x + b.x) / 2 - uy * bend, (a.y + b.y) / 2 + ux * bend)
        func trimmed(_ from: (Double, Double), toward: (Double, Double), by distance: Double) -> (Double, Double) {
            let vx = toward.0 - from.0, vy = toward.1 - from.1
            let l = max((vx * vx + vy * vy).squareRoot(), 1)
            return (from.0 + vx / l * distance, from.1 + vy / l * distance)
        }
        let start = trimmed((a.x, a.y), toward: control, by: radius + 2)
        let end = trimmed((b.x, b.y), toward: control, by: radius + 6)
        return "M\(f(start.0)),\(f(start.1)) Q\(f(control.0)),\(f(control.1)) \(f(end.0)),\(f(end.1))"
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    /// The `<svg>` element (no namespace attribute is needed inline in HTML).
    public var svg: String {
        var out = "<svg class=\"graph\" viewBox=\"0 0 \(Int(size)) \(Int(size))\" width=\"\(Int(size))\" height=\"\(Int(size))\" role=\"img\" aria-label=\"Channel graph\">\n"
        out += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"8\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
        out += "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#2b7a4b\"/></marker></defs>\n"
        for edge in edges {
            out += "<path class=\"edge\" data-s=\"\(edge.source)\" data-t=\"\(edge.target)\" d=\"\(edge.path)\" marker-end=\"url(#arrow)\">"
            out += "<title>\(HTMLText.escape(nodes[edge.source].name)) → \(HTMLText.escape(nodes[edge.target].name))</title></path>\n"
        }
        let center = size / 2
        for (i, node) in nodes.enumerated() {
            let cls = node.argo ? (node.wildcard ? "node wildcard" : "node") : "node noargo"
            out += "<g class=\"\(cls)\" data-d=\"\(i)\"><circle cx=\"\(Self.f(node.x))\" cy=\"\(Self.f(node.y))\" r=\"\(Self.f(nodeRadius))\"/>"
            if node.wildcard {
                out += "<circle class=\"halo\" cx=\"\(Self.f(node.x))\" cy=\"\(Self.f(node.y))\" r=\"\(Self.f(nodeRadius + 4))\"/>"
            }
            let dx = node.x - center, dy = node.y - center
            let l = max((dx * dx + dy * dy).squareRoot(), 1)
            let lx = node.x + dx / l * (nodeRadius + 10), ly = node.y + dy / l * (nodeRadius + 10) + 4
            let anchor = abs(dx) < 1 ? "middle" : dx > 0 ? "start" : "end"
            out += "<text x=\"\(Self.f(lx))\" y=\"\(Self.f(ly))\" text-anchor=\"\(anchor)\">\(HTMLText.escape(node.name))</text></g>\n"
        }
        return out + "</svg>\n"
    }
}

/// Escaping for HTML text, attributes and embedded JSON.
public enum HTMLText {
    /// Text and attribute values: `& < > " '` become entities.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// JSON safe inside `<script>`: `<`, `>` and `&` only occur in JSON strings, where the
    /// `\u` escapes mean the same, so `</script>` and `<!--` cannot appear; U+2028/2029 too.
    public static func scriptSafeJSON(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
