/// Domain names are identifiers: they name domains in every input and output, and they become
/// parts of file names (ring dumps), so they can never hold a path separator, a dot-dot, a
/// control character, or anything that reads as a domid.
///
/// A name is 1 to 64 characters: an ASCII letter, then ASCII letters, digits, `_`, `-` or `.`;
/// `any` is reserved (Argo's wildcard in scenarios).
public enum DomainName {
    public static let maximumLength = 64

    /// Why `name` is not a domain name, or nil when it is one.
    public static func problem(with name: String) -> String? {
        let scalars = Array(name.unicodeScalars)
        guard !scalars.isEmpty else { return "a domain name must not be empty" }
        guard scalars.count <= maximumLength else { return "a domain name has at most \(maximumLength) characters" }
        guard name != "any" else { return "'any' is reserved (Argo's wildcard domain)" }
        guard isLetter(scalars[0]) else {
            return "domain name '\(name)' must start with an ASCII letter"
        }
        if let bad = scalars.first(where: { !(isLetter($0) || ("0" ... "9").contains($0) || $0 == "_" || $0 == "-" || $0 == ".") }) {
            return "domain name '\(name)' holds '\(bad.escaped(asASCII: true))' (allowed: ASCII letters, digits, '_', '-', '.')"
        }
        return nil
    }

    /// Throws an `InputError` at `location` when `name` is not a domain name.
    public static func check(_ name: String, at location: SourceLocation) throws(InputError) {
        if let problem = problem(with: name) { throw InputError(problem, at: location) }
    }

    public static func isValid(_ name: String) -> Bool { problem(with: name) == nil }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a" ... "z").contains(scalar) || ("A" ... "Z").contains(scalar)
    }
}
