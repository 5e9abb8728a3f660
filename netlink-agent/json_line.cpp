// SPDX-License-Identifier: Apache-2.0
#include "json_line.h"

#include <cstdio>

namespace podtap::agent {

std::string jsonQuote(std::string_view text)
{
    std::string out = "\"";
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
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
            if (u < 0x20) {
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
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

void note(const std::string &text)
{
    std::fprintf(stderr, "podtap-agent: %s\n", text.c_str());
    std::fflush(stderr);
}

} // namespace podtap::agent
