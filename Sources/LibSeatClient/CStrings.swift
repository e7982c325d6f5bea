/// Copies between Swift strings and the C API's strings and fixed-size char arrays.
enum CStrings {
    /// The string at `pointer` (UTF-8, NUL-terminated); nil for a NULL pointer.
    static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    /// Copies `text` into a C char array (a tuple of CChar), NUL-terminated and truncated
    /// to fit without splitting a UTF-8 sequence.
    static func copy<Buffer>(_ text: String, into buffer: inout Buffer) {
        withUnsafeMutableBytes(of: &buffer) { raw in
            _ = copy(text, into: raw)
        }
    }

    /// Copies `text` into `raw` like `copy(_:into:)`; returns the full length of `text` in bytes.
    @discardableResult
    static func copy(_ text: String, into raw: UnsafeMutableRawBufferPointer) -> Int {
        let utf8 = Array(text.utf8)
        guard raw.count > 0 else { return utf8.count }
        var length = min(utf8.count, raw.count - 1)
        // Back off to the start of a character: continuation bytes are 0b10xxxxxx.
        if length < utf8.count {
            while length > 0 && utf8[length] & 0xC0 == 0x80 { length -= 1 }
        }
        raw.copyBytes(from: utf8[0..<length])
        raw[length] = 0
        return utf8.count
    }
}
