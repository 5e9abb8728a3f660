// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace podtap::agent {

/// @brief Reads `podtap.io/heartbeat` from a downward-API annotations file (`key="value"` lines).
class HeartbeatFile
{
public:
    explicit HeartbeatFile(std::string path);

    /// The heartbeat time, or nothing when the file, the key or a valid RFC 3339 time is missing.
    std::optional<std::time_t> read() const;

    /// Parses an RFC 3339 time ("2026-11-27T06:00:00Z", fractions and offsets allowed).
    static std::optional<std::time_t> parseRfc3339(std::string_view text);
    /// The unquoted value of @p key in annotations-file @p contents.
    static std::optional<std::string> annotation(std::string_view contents, std::string_view key);

private:
    std::string m_path;
};

} // namespace podtap::agent
