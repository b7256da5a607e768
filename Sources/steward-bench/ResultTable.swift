import Foundation

/// The figures of one run, side by side with the floor.
struct ResultTable {
    struct Row {
        var name: String
        var steward: Double
        var floor: Double
        var lowerIsBetter: Bool

        init(_ name: String, steward: Double, floor: Double, lowerIsBetter: Bool) {
            self.name = name
            self.steward = steward
            self.floor = floor
            self.lowerIsBetter = lowerIsBetter
        }
    }

    var rows: [Row]

    func render() -> String {
        let header = column("metric", 40) + column("steward", 14) + column("floor", 14) + "steward/floor"
        var lines = [header, String(repeating: "-", count: header.count)]
        for row in rows {
            lines.append(
                column(row.name, 40) + column(format(row.steward), 14) + column(format(row.floor), 14)
                    + String(format: "%.2f", row.floor == 0 ? 0 : row.steward / row.floor))
        }
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }

    private func column(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
