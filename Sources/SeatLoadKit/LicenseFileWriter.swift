/// Writes the JSON licenses file seatd reads (`licenses_file`) for the benchmark data set
/// and/or the hold licenses.
public enum LicenseFileWriter {
    public static func json(bench: BenchDataSet?, hold: HoldDataSet?) -> String {
        var entries: [String] = []
        if let bench {
            entries.reserveCapacity(bench.licenses)
            for n in 1...max(1, bench.licenses) where bench.licenses > 0 {
                entries.append(entry(BenchDataSet.licenseKey(n), seats: bench.seats))
            }
        }
        if let hold {
            for n in 1...max(1, hold.licenses) where hold.licenses > 0 {
                entries.append(entry(HoldDataSet.licenseKey(n), seats: hold.seats))
            }
        }
        return "{ \"licenses\": [\n" + entries.joined(separator: ",\n") + "\n] }\n"
    }

    private static func entry(_ key: String, seats: Int) -> String {
        "  { \"key\": \"\(key)\", \"seats\": \(seats), \"tier\": \"bench\" }"
    }
}
