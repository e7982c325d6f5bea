// `Array.withUnsafeBytes` and `String.withUTF8` are `rethrows`, which erases a typed
// error to `any Error`; these keep `StorageError` typed through them.

extension Array where Element == UInt8 {
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws(StorageError) -> T) throws(StorageError) -> T {
        try withUnsafeBytes { bytes in Result { () throws(StorageError) in try body(bytes) } }.get()
    }
}

extension String {
    func withUTF8Bytes<T>(_ body: (UnsafeRawBufferPointer) throws(StorageError) -> T) throws(StorageError) -> T {
        var string = self
        // Native strings are contiguous already; this only copies bridged ones.
        return try string.withUTF8 { utf8 in
            Result { () throws(StorageError) in try body(UnsafeRawBufferPointer(utf8)) }
        }.get()
    }
}
