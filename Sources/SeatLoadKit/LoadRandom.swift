/// xorshift128+, the generator `seatbench_redis.c` uses: cheap, seedable, one per event loop.
public struct LoadRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64

    public init(seed: UInt64) {
        // splitmix64 spreads any seed (even 0) over both words.
        var z = seed
        func mix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s0 = mix()
        s1 = mix()
    }

    public mutating func next() -> UInt64 {
        var a = s0
        let b = s1
        s0 = b
        a ^= a << 23
        s1 = a ^ b ^ (a >> 17) ^ (b >> 26)
        return s1 &+ b
    }

    /// Uniform in `lo...hi` like the C driver's `rnd` (modulo; the bias is irrelevant here).
    public mutating func int(_ lo: Int, _ hi: Int) -> Int {
        lo + Int(next() % UInt64(hi - lo + 1))
    }
}
