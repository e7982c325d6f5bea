import Foundation

/// The JSON conventions of the admin channel: times are ISO 8601 strings in UTC with
/// milliseconds (`2026-11-21T10:00:00.000Z`), absent values are left out (never `null`).
public enum AdminJSON {
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parseTime(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 time: \(text)"))
            }
            return date
        }
        return decoder
    }

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatTime(date))
        }
        return encoder
    }

    /// `2026-11-21T10:00:00.000Z`.
    public static func formatTime(_ date: Date) -> String {
        date.formatted(withMilliseconds)
    }

    /// Accepts times with or without fractional seconds (people type the latter).
    public static func parseTime(_ text: String) -> Date? {
        (try? withMilliseconds.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    private static let withMilliseconds = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
