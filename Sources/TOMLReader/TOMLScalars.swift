/// Strings, numbers, booleans and date-times (TOML 1.0).
extension TOMLDocumentParser {
    // MARK: Strings

    /// `"..."`: escapes allowed, no line break, no control character but tab.
    mutating func parseBasicString() throws(TOMLParseError) -> String {
        let open = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated string (opened here)", at: open) }
            if c == 0x22 { i += 1; break }
            if c == 0x5C {
                try appendEscape(to: &out)
                continue
            }
            if c == 0x0A || c == 0x0D { throw error("unterminated string: a line break before the closing quote") }
            if Self.isForbiddenControl(c) { throw error("\(describeByte(c)) in a string (write it as an escape)") }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `'...'`: no escapes, no line break, no control character but tab.
    mutating func parseLiteralString() throws(TOMLParseError) -> String {
        let open = i
        i += 1
        let start = i
        while true {
            guard let c = peek() else { throw error("unterminated string (opened here)", at: open) }
            if c == 0x27 { break }
            if c == 0x0A || c == 0x0D { throw error("unterminated string: a line break before the closing quote") }
            if Self.isForbiddenControl(c) { throw error("\(describeByte(c)) in a string") }
            i += 1
        }
        let text = String(decoding: b[start..<i], as: UTF8.self)
        i += 1
        return text
    }

    /// `"""..."""` (escapes, line-ending backslash) or `'''...'''` (raw). A line break right
    /// after the opening quotes is dropped; line ends are read as "\n".
    mutating func parseMultilineString(quote: UInt8) throws(TOMLParseError) -> String {
        let open = i
        i += 3
        _ = try consumeNewline()
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("unterminated multi-line string (opened here)", at: open) }
            if c == quote {
                var run = 0
                while peek(run) == quote { run += 1 }
                if run >= 3 {
                    guard run <= 5 else { throw error("too many quotes at the end of a multi-line string") }
                    out.append(contentsOf: repeatElement(quote, count: run - 3))
                    i += run
                    break
                }
                out.append(contentsOf: repeatElement(quote, count: run))
                i += run
                continue
            }
            if c == 0x0A || c == 0x0D {
                _ = try consumeNewline()
                out.append(0x0A)
                continue
            }
            if c == 0x5C && quote == 0x22 {
                if try skipLineEndingBackslash() { continue }
                try appendEscape(to: &out)
                continue
            }
            if Self.isForbiddenControl(c) { throw error("\(describeByte(c)) in a string") }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A backslash followed by spaces and a line end: drops it and every space and line end
    /// after it. Returns false (and consumes nothing) when the backslash is an escape.
    mutating func skipLineEndingBackslash() throws(TOMLParseError) -> Bool {
        var k = i + 1
        while k < b.count, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
        guard k < b.count, b[k] == 0x0A || (b[k] == 0x0D && k + 1 < b.count && b[k + 1] == 0x0A) else { return false }
        i = k
        while true {
            skipSpaces()
            if try !consumeNewline() { return true }
        }
    }

    mutating func appendEscape(to out: inout [UInt8]) throws(TOMLParseError) {
        let start = i
        guard let e = peek(1) else { throw error("unterminated string") }
        i += 2
        switch e {
        case 0x62: out.append(0x08)
        case 0x74: out.append(0x09)
        case 0x6E: out.append(0x0A)
        case 0x66: out.append(0x0C)
        case 0x72: out.append(0x0D)
        case 0x22: out.append(0x22)
        case 0x5C: out.append(0x5C)
        case 0x75, 0x55:
            let count = e == 0x75 ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<count {
                guard let h = peek(), let digit = Self.hexValue(h) else {
                    throw error("\\\(e == 0x75 ? "u" : "U") needs \(count) hexadecimal digits", at: start)
                }
                value = value << 4 | UInt32(digit)
                i += 1
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw error("\\\(e == 0x75 ? "u" : "U") escape is not a Unicode scalar value", at: start)
            }
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
            throw error("invalid escape sequence \\\(String(decoding: [e], as: UTF8.self))", at: start)
        }
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    // MARK: Numbers, booleans, date-times

    static func isTokenByte(_ c: UInt8) -> Bool {
        isBareKeyByte(c) || c == 0x2B || c == 0x2E || c == 0x3A
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// A bare value: true/false, an integer, a float or a date-time.
    mutating func parseScalarToken() throws(TOMLParseError) -> TOMLValue {
        let start = i
        while let c = peek(), Self.isTokenByte(c) { i += 1 }
        // A date and a time may be separated by one space.
        if i - start == 10, peek() == 0x20, let h1 = peek(1), let h2 = peek(2), peek(3) == 0x3A,
           Self.isDigit(h1), Self.isDigit(h2), b[start + 4] == 0x2D {
            i += 1
            while let c = peek(), Self.isTokenByte(c) { i += 1 }
        }
        guard i > start else {
            throw error("expected a value, found \(describeByte(b[i]))")
        }
        let token = Array(b[start..<i])
        let text = String(decoding: token, as: UTF8.self)
        switch text {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if token.count >= 5, token.contains(0x3A) || (token.count >= 10 && token[4] == 0x2D && Self.isDigit(token[0])) {
            guard let dt = Self.dateTime(token) else { throw error("invalid date or time '\(text)'", at: start) }
            return .dateTime(dt)
        }
        if token.count > 2, token[0] == 0x30, let radix = [0x78: 16, 0x6F: 8, 0x62: 2][token[1]] {
            guard let digits = Self.digitsWithUnderscores(token[2...], radix: radix),
                  let value = Int64(digits, radix: radix) else {
                throw error(Self.digitsWithUnderscores(token[2...], radix: radix) == nil
                            ? "invalid number '\(text)'" : "integer '\(text)' does not fit in 64 bits", at: start)
            }
            return .integer(value)
        }
        guard let number = Self.decimalNumber(token) else { throw error("invalid value '\(text)'", at: start) }
        if number.isFloat {
            guard let d = Double(number.cleaned) else { throw error("invalid float '\(text)'", at: start) }
            return .float(d)
        }
        guard let value = Int64(number.cleaned) else { throw error("integer '\(text)' does not fit in 64 bits", at: start) }
        return .integer(value)
    }

    /// Digits of `radix` with single underscores between digits; nil when malformed.
    static func digitsWithUnderscores(_ s: ArraySlice<UInt8>, radix: Int) -> String? {
        var out = ""
        var previousWasDigit = false
        for c in s {
            if c == 0x5F {
                guard previousWasDigit else { return nil }
                previousWasDigit = false
                continue
            }
            guard let v = hexValue(c), Int(v) < radix else { return nil }
            out.append(Character(Unicode.Scalar(c)))
            previousWasDigit = true
        }
        return previousWasDigit ? out : nil
    }

    /// `[+-]int[.frac][e[+-]exp]` with TOML's rules (no leading zeros, underscores only
    /// between digits, digits on both sides of the dot).
    static func decimalNumber(_ t: [UInt8]) -> (cleaned: String, isFloat: Bool)? {
        var k = 0
        var out = ""
        if k < t.count, t[k] == 0x2B || t[k] == 0x2D {
            if t[k] == 0x2D { out = "-" }
            k += 1
        }
        func digitRun(allowLeadingZero: Bool) -> String? {
            let s = k
            while k < t.count, isDigit(t[k]) || t[k] == 0x5F { k += 1 }
            guard k > s, let digits = digitsWithUnderscores(t[s..<k], radix: 10) else { return nil }
            if !allowLeadingZero, digits.count > 1, digits.first == "0" { return nil }
            return digits
        }
        guard let intPart = digitRun(allowLeadingZero: false) else { return nil }
        out += intPart
        var isFloat = false
        if k < t.count, t[k] == 0x2E {
            k += 1
            guard let frac = digitRun(allowLeadingZero: true) else { return nil }
            out += "." + frac
            isFloat = true
        }
        if k < t.count, t[k] == 0x65 || t[k] == 0x45 {
            k += 1
            out += "e"
            if k < t.count, t[k] == 0x2B || t[k] == 0x2D {
                if t[k] == 0x2D { out += "-" }
                k += 1
            }
            guard let exp = digitRun(allowLeadingZero: true) else { return nil }
            out += exp
            isFloat = true
        }
        return k == t.count ? (out, isFloat) : nil
    }

    /// `YYYY-MM-DD`, `HH:MM:SS[.frac]`, or both joined by `T`, `t` or a space, with an
    /// optional `Z` or `±HH:MM` offset after a time that follows a date.
    static func dateTime(_ t: [UInt8]) -> TOMLDateTime? {
        var k = 0
        func number(_ width: Int) -> Int? {
            guard k + width <= t.count else { return nil }
            var v = 0
            for _ in 0..<width {
                guard isDigit(t[k]) else { return nil }
                v = v * 10 + Int(t[k] - 0x30)
                k += 1
            }
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard k < t.count, t[k] == c else { return false }
            k += 1
            return true
        }
        var result = TOMLDateTime()
        if t.count >= 10, t[4] == 0x2D {
            guard let y = number(4), expect(0x2D), let m = number(2), expect(0x2D), let d = number(2),
                  (1...12).contains(m), d >= 1, d <= daysInMonth(m, year: y) else { return nil }
            result.date = .init(year: y, month: m, day: d)
            if k == t.count { return result }
            guard t[k] == 0x54 || t[k] == 0x74 || t[k] == 0x20 else { return nil }
            k += 1
        }
        guard let h = number(2), expect(0x3A), let mi = number(2), expect(0x3A), let s = number(2),
              h <= 23, mi <= 59, s <= 60 else { return nil }
        var fraction = ""
        if k < t.count, t[k] == 0x2E {
            k += 1
            let fs = k
            while k < t.count, isDigit(t[k]) { k += 1 }
            guard k > fs else { return nil }
            fraction = String(decoding: t[fs..<k], as: UTF8.self)
        }
        result.time = .init(hour: h, minute: mi, second: s, fraction: fraction)
        if k == t.count { return result }
        guard result.date != nil else { return nil }
        if t[k] == 0x5A || t[k] == 0x7A {
            k += 1
            result.offsetMinutes = 0
        } else if t[k] == 0x2B || t[k] == 0x2D {
            let negative = t[k] == 0x2D
            k += 1
            guard let oh = number(2), expect(0x3A), let om = number(2), oh <= 23, om <= 59 else { return nil }
            result.offsetMinutes = (negative ? -1 : 1) * (oh * 60 + om)
        } else {
            return nil
        }
        return k == t.count ? result : nil
    }

    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
