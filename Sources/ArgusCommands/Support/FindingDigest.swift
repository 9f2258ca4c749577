import Crypto

/// The digest behind CI fingerprints (`CheckFingerprint`): SHA-256 from swift-crypto, as hex.
enum FindingDigest {
    /// The SHA-256 of `bytes` as 64 lowercase hex digits.
    static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(bytes)) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return out
    }
}
