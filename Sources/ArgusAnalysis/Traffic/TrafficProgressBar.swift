/// A one-line progress bar for standard error: redrawn in place with a carriage return.
/// The caller decides `enabled` (a terminal, not CI); `color` is off under NO_COLOR.
public struct TrafficProgressBar: Sendable {
    public let enabled: Bool
    public let color: Bool
    public static let width = 40

    public init(enabled: Bool, color: Bool) {
        self.enabled = enabled
        self.color = color
    }

    /// The bar for `done` of `total`, starting with `\r`.
    public func line(_ done: Int, _ total: Int) -> String {
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let filled = min(Self.width, Int(fraction * Double(Self.width)))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: Self.width - filled)
        let percent = Int(fraction * 100)
        let body = "[\(bar)] \(percent)% \(done)/\(total) messages"
        return color ? "\r\u{1B}[36m\(body)\u{1B}[0m" : "\r" + body
    }

    /// Erases the bar.
    public var clear: String { "\r" + String(repeating: " ", count: Self.width + 40) + "\r" }
}
