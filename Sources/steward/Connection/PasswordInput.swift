import ArgumentParser
import Foundation
import Glibc

/// Reads a password without it ever being an argument: from a prompt with
/// echo off on a terminal, or from the first line of standard input.
enum PasswordInput {
    static func read(prompt: String, fromStdin: Bool) throws -> String {
        let password: String?
        if fromStdin || isatty(STDIN_FILENO) == 0 {
            password = readLine(strippingNewline: true)
        } else {
            password = readWithoutEcho(prompt: prompt)
        }
        guard let password, !password.isEmpty else {
            throw ValidationError("no password given (type it at the prompt, or pipe it with --password-stdin)")
        }
        return password
    }

    /// Turns terminal echo off (termios) for the read and restores it.
    private static func readWithoutEcho(prompt: String) -> String? {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true)
    }
}
