// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace podtap::agent {

/// @brief Builds one flat JSON object, the unit of the agent's stdout protocol.
class JsonLine
{
public:
    JsonLine &add(std::string_view key, std::string_view value);
    JsonLine &add(std::string_view key, const char *value) { return add(key, std::string_view(value)); }
    JsonLine &add(std::string_view key, const std::string &value) { return add(key, std::string_view(value)); }
    JsonLine &add(std::string_view key, std::int64_t value);
    JsonLine &add(std::string_view key, std::uint64_t value);
    JsonLine &add(std::string_view key, int value) { return add(key, static_cast<std::int64_t>(value)); }
    JsonLine &add(std::string_view key, unsigned value) { return add(key, static_cast<std::uint64_t>(value)); }
    JsonLine &add(std::string_view key, bool value);
    JsonLine &add(std::string_view key, const std::vector<std::string> &values);
    /// Appends the fields of @p other after these.
    JsonLine &append(const JsonLine &other);
    /// Adds @p rawJson (an object or array the caller built) verbatim.
    JsonLine &addRaw(std::string_view key, std::string_view rawJson);

    std::string str() const { return "{" + m_body + "}"; }

private:
    void key(std::string_view key);
    std::string m_body;
};

/// JSON string literal for @p text, quotes included.
std::string jsonQuote(std::string_view text);

/// Sends events to stderr instead of stdout (for `stream`, whose stdout carries pcapng). Human notes are
/// then left out, so stderr stays a pure JSON-lines channel.
void setEventsToStderr(bool toStderr);

/// Writes a `{"event":<name>,...}` line to stdout (or stderr, see setEventsToStderr()) and flushes it.
void emitEvent(const std::string &event, JsonLine fields = {});

/// Writes human text to stderr.
void note(const std::string &text);

} // namespace podtap::agent
