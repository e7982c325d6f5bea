import NIOCore

/// Loopback has one ephemeral port range (~28k ports) per (source, destination) pair, so
/// many connections to 127.0.0.1 are spread over source addresses 127.0.0.1, .2, ...
struct SourceAddresses {
    let addresses: [SocketAddress]
    let perAddress: Int

    init(host: String, connections: Int, perAddress: Int) throws {
        self.perAddress = max(1, perAddress)
        guard host.hasPrefix("127."), connections > self.perAddress else {
            addresses = []
            return
        }
        let count = (connections + self.perAddress - 1) / self.perAddress
        guard count <= 250 else { throw LoadError.usage("too many connections for loopback source addresses") }
        addresses = try (1...count).map { try SocketAddress(ipAddress: "127.0.0.\($0)", port: 0) }
    }

    /// Local address for connection `index`, or nil to let the kernel choose.
    func address(for index: Int) -> SocketAddress? {
        addresses.isEmpty ? nil : addresses[min(index / perAddress, addresses.count - 1)]
    }
}
