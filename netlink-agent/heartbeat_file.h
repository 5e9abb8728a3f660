// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace podtap::agent {

/// @brief Reads `podtap.io/heartbeat` from a downward-API annotations file (`key="value"` lines).
///
/// The value is an opaque token: the agent times when it last CHANGED on its own monotonic clock and
/// never reads a time out of it, because the console's clock and the node's may differ by any amount.
class HeartbeatFile
{
public:
    explicit HeartbeatFile(std::string path);

    /// The heartbeat value as written, or nothing when the file or the key is missing.
    std::optional<std::string> read() const;
    /// The unquoted value of @p key in annotations-file @p contents.
    static std::optional<std::string> annotation(std::string_view contents, std::string_view key);

private:
    std::string m_path;
};

} // namespace podtap::agent
