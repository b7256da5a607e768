/// RFC 4180 CSV, read into records that remember the line they start on,
/// so that every complaint about a record can name its line.
///
/// Fields may be quoted (`"a, b"`, with `""` for a quote inside); a quoted
/// field may span lines. Line ends may be LF, CRLF or CR. Blank lines are
/// skipped.
package struct CSVRecords {
    package struct Record: Equatable {
        /// 1-based line of the file where the record starts.
        package var line: Int
        package var fields: [String]
    }

    package struct Malformed: Error, Equatable {
        package var line: Int
        package var problem: String
    }

    package static func parse(_ text: String) throws(Malformed) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var fieldWasQuoted = false
        var scalars = text.unicodeScalars[...]

        func endRecord() {
            fields.append(field)
            let blank = fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted
            if !blank { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
            field = ""
            fieldWasQuoted = false
        }

        while let scalar = scalars.popFirst() {
            if inQuotes {
                switch scalar {
                case "\"":
                    if scalars.first == "\"" {
                        scalars.removeFirst()
                        field.unicodeScalars.append("\"")
                    } else {
                        inQuotes = false
                    }
                case "\n":
                    line += 1
                    field.unicodeScalars.append(scalar)
                default:
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                guard field.isEmpty, !fieldWasQuoted else {
                    throw Malformed(line: line, problem: "a quote inside an unquoted field (quote the whole field and double the quote)")
                }
                inQuotes = true
                fieldWasQuoted = true
            case ",":
                fields.append(field)
                field = ""
                fieldWasQuoted = false
            case "\n", "\r":
                // LF, CRLF, or a lone CR (old spreadsheets) ends a record.
                if scalar == "\r", scalars.first == "\n" { scalars.removeFirst() }
                endRecord()
                line += 1
                recordLine = line
            default:
                guard !fieldWasQuoted else {
                    throw Malformed(line: line, problem: "text after a closing quote")
                }
                field.unicodeScalars.append(scalar)
            }
        }
        guard !inQuotes else { throw Malformed(line: recordLine, problem: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }
}
