import Foundation
import Glibc

/// A plain HTTP/1.1 GET over a blocking loopback socket, enough to probe seatd's health
/// and metrics listener without an HTTP client dependency. The socket is driven on a
/// thread of its own, never on one of the cooperative pool's.
enum HTTPProbe {
    struct Response {
        var status: Int
        var body: String
    }

    static func get(port: Int, path: String) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try getBlocking(port: port, path: path) }) }.start()
        }
    }

    private static func getBlocking(port: Int, path: String) throws -> Response {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ProbeError("socket: errno \(errno)") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ProbeError("connect to port \(port): errno \(errno)") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(descriptor, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { throw ProbeError("send: errno \(errno)") }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count <= 0 { break }
            received += chunk[..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n"),
              let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap({ Int($0) }) else {
            throw ProbeError("not an HTTP response: \(text.prefix(200))")
        }
        return Response(status: status, body: String(text[headerEnd.upperBound...]))
    }
}

struct ProbeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Samples of the Prometheus text format: "name{labels} value" lines, keyed by the
/// series as written ("seatd_refusals_total{reason=\"no_seats\",license=\"L\",tenant=\"acme\"}").
struct PrometheusSamples {
    private(set) var values: [String: Double] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
    }

    subscript(series: String) -> Double? { values[series] }

    /// Sum of every series of `name` (all label sets), e.g. a histogram's `_count`.
    func total(_ name: String) -> Double {
        values.filter { $0.key == name || $0.key.hasPrefix(name + "{") }.values.reduce(0, +)
    }
}
