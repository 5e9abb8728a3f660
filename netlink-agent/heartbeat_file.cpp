// SPDX-License-Identifier: Apache-2.0
#include "heartbeat_file.h"

#include <cstdint>
#include <fstream>
#include <sstream>

namespace podtap::agent {

HeartbeatFile::HeartbeatFile(std::string path)
    : m_path(std::move(path))
{
}

std::optional<std::string> HeartbeatFile::annotation(std::string_view contents, std::string_view key)
{
    std::size_t start = 0;
    while (start < contents.size()) {
        std::size_t end = contents.find('\n', start);
        if (end == std::string_view::npos) {
            end = contents.size();
        }
        std::string_view line = contents.substr(start, end - start);
        start = end + 1;
        if (line.size() <= key.size() + 2 || line.substr(0, key.size()) != key || line[key.size()] != '=') {
            continue;
        }
        std::string_view value = line.substr(key.size() + 1);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        return std::string(value);
    }
    return std::nullopt;
}

namespace {

int hexDigit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

void appendUtf8(std::string &out, std::uint32_t rune)
{
    if (rune < 0x80) {
        out += static_cast<char>(rune);
    } else if (rune < 0x800) {
        out += static_cast<char>(0xC0 | (rune >> 6));
        out += static_cast<char>(0x80 | (rune & 0x3F));
    } else if (rune < 0x10000) {
        out += static_cast<char>(0xE0 | (rune >> 12));
        out += static_cast<char>(0x80 | ((rune >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (rune & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (rune >> 18));
        out += static_cast<char>(0x80 | ((rune >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((rune >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (rune & 0x3F));
    }
}

} // namespace

bool HeartbeatFile::goUnquote(std::string_view quoted, std::string &out, std::string &error)
{
    out.clear();
    if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') {
        error = "not a double-quoted string (it must start and end with \")";
        return false;
    }
    const std::string_view body = quoted.substr(1, quoted.size() - 2);
    const auto at = [](std::size_t i) { return " at byte " + std::to_string(i + 1); };
    for (std::size_t i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (c == '"') {
            error = "unescaped quote" + at(i);
            return false;
        }
        if (c == '\n' || c == '\r') {
            error = "raw line break" + at(i) + " (a quoted value writes it as \\n)";
            return false;
        }
        if (c != '\\') {
            out += c;
            continue;
        }
        if (i + 1 >= body.size()) {
            error = "backslash at the end";
            return false;
        }
        const std::size_t escape = i;
        const char kind = body[++i];
        switch (kind) {
        case 'a':
            out += '\a';
            continue;
        case 'b':
            out += '\b';
            continue;
        case 'f':
            out += '\f';
            continue;
        case 'n':
            out += '\n';
            continue;
        case 'r':
            out += '\r';
            continue;
        case 't':
            out += '\t';
            continue;
        case 'v':
            out += '\v';
            continue;
        case '\\':
        case '"':
            out += kind;
            continue;
        case 'x':
        case 'u':
        case 'U': {
            const std::size_t digits = kind == 'x' ? 2 : kind == 'u' ? 4 : 8;
            if (i + digits >= body.size()) {
                error = std::string("\\") + kind + " needs " + std::to_string(digits) + " hex digits" + at(escape);
                return false;
            }
            std::uint32_t value = 0;
            for (std::size_t d = 1; d <= digits; ++d) {
                const int v = hexDigit(body[i + d]);
                if (v < 0) {
                    error = std::string("\\") + kind + " needs " + std::to_string(digits) + " hex digits" + at(escape);
                    return false;
                }
                value = value * 16 + static_cast<std::uint32_t>(v);
            }
            i += digits;
            if (kind == 'x') {
                out += static_cast<char>(value);
            } else if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
                error = std::string("\\") + kind + " names no Unicode character (a surrogate or above U+10FFFF)" +
                    at(escape);
                return false;
            } else {
                appendUtf8(out, value);
            }
            continue;
        }
        default:
            if (kind >= '0' && kind <= '7') {
                if (i + 2 >= body.size() || body[i + 1] < '0' || body[i + 1] > '7' || body[i + 2] < '0' ||
                    body[i + 2] > '7') {
                    error = "an octal escape needs 3 digits 0-7" + at(escape);
                    return false;
                }
                const int value = (kind - '0') * 64 + (body[i + 1] - '0') * 8 + (body[i + 2] - '0');
                if (value > 255) {
                    error = "octal escape above \\377" + at(escape);
                    return false;
                }
                out += static_cast<char>(value);
                i += 2;
                continue;
            }
            error = std::string("unknown escape \\") + kind + at(escape);
            return false;
        }
    }
    return true;
}

std::optional<std::string> HeartbeatFile::unquotedAnnotation(
    std::string_view contents, std::string_view key, std::string *error)
{
    std::size_t start = 0;
    while (start < contents.size()) {
        std::size_t end = contents.find('\n', start);
        if (end == std::string_view::npos) {
            end = contents.size();
        }
        std::string_view line = contents.substr(start, end - start);
        start = end + 1;
        if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != '=') {
            continue;
        }
        std::string value;
        std::string why;
        if (!goUnquote(line.substr(key.size() + 1), value, why)) {
            if (error) {
                *error = "the value of " + std::string(key) + " is not a Go-quoted string: " + why;
            }
            return std::nullopt;
        }
        return value;
    }
    return std::nullopt;
}

std::optional<std::string> HeartbeatFile::read() const
{
    std::ifstream in(m_path);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return annotation(text.str(), "podtap.io/heartbeat");
}

} // namespace podtap::agent
