// SPDX-License-Identifier: Apache-2.0
#include "json_line.h"

#include <cstdio>

namespace podtap::agent {

namespace {

bool g_eventsToStderr = false;

/// The length of the well-formed UTF-8 sequence at @p at (RFC 3629: no overlongs, no surrogates, nothing
/// above U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8SequenceLength(std::string_view text, std::size_t at)
{
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    std::size_t length = 0;
    unsigned char min = 0x80;
    unsigned char max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        min = lead == 0xE0 ? 0xA0 : 0x80; // no overlong forms
        max = lead == 0xED ? 0x9F : 0xBF; // no UTF-16 surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        min = lead == 0xF0 ? 0x90 : 0x80;
        max = lead == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
    } else {
        return 0;
    }
    if (at + length > text.size()) {
        return 0;
    }
    if (byte(at + 1) < min || byte(at + 1) > max) {
        return 0;
    }
    for (std::size_t i = at + 2; i < at + length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xBF) {
            return 0;
        }
    }
    return length;
}

} // namespace

std::string jsonQuote(std::string_view text)
{
    // JSON text is UTF-8, but what the agent reports (interface names, paths, kernel messages) is bytes:
    // a byte that is not part of well-formed UTF-8 becomes U+FFFD, so every line stays valid JSON.
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            const std::size_t length = utf8SequenceLength(text, i);
            if (length == 0) {
                out += "\\ufffd";
            } else {
                out.append(text.substr(i, length));
                i += length - 1;
            }
            continue;
        }
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            if (u < 0x20 || u == 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", u);
                out += buf;
            } else {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

void JsonLine::key(std::string_view k)
{
    if (!m_body.empty()) {
        m_body += ',';
    }
    m_body += jsonQuote(k);
    m_body += ':';
}

JsonLine &JsonLine::add(std::string_view k, std::string_view value)
{
    key(k);
    m_body += jsonQuote(value);
    return *this;
}

JsonLine &JsonLine::add(std::string_view k, std::int64_t value)
{
    key(k);
    m_body += std::to_string(value);
    return *this;
}

JsonLine &JsonLine::add(std::string_view k, std::uint64_t value)
{
    key(k);
    m_body += std::to_string(value);
    return *this;
}

JsonLine &JsonLine::add(std::string_view k, bool value)
{
    key(k);
    m_body += value ? "true" : "false";
    return *this;
}

JsonLine &JsonLine::add(std::string_view k, const std::vector<std::string> &values)
{
    key(k);
    m_body += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) {
            m_body += ',';
        }
        m_body += jsonQuote(values[i]);
    }
    m_body += ']';
    return *this;
}

JsonLine &JsonLine::append(const JsonLine &other)
{
    if (!other.m_body.empty()) {
        if (!m_body.empty()) {
            m_body += ',';
        }
        m_body += other.m_body;
    }
    return *this;
}

JsonLine &JsonLine::addRaw(std::string_view k, std::string_view rawJson)
{
    key(k);
    m_body += rawJson;
    return *this;
}

void emitEvent(const std::string &event, JsonLine fields)
{
    JsonLine line;
    line.add("event", event);
    std::string text = line.str();
    const std::string rest = fields.str();
    if (rest.size() > 2) {
        text.pop_back();
        text += ',';
        text += rest.substr(1);
    }
    text += '\n';
    FILE *out = g_eventsToStderr ? stderr : stdout;
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);
}

void setEventsToStderr(bool toStderr)
{
    g_eventsToStderr = toStderr;
}

void note(const std::string &text)
{
    if (g_eventsToStderr) {
        return;
    }
    std::fprintf(stderr, "podtap-agent: %s\n", text.c_str());
    std::fflush(stderr);
}

} // namespace podtap::agent
