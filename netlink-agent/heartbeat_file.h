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
    /// The value of @p key in annotations-file @p contents, as written between its quotes (escapes kept).
    static std::optional<std::string> annotation(std::string_view contents, std::string_view key);
    /// The value of @p key in annotations-file @p contents, unquoted as Go's strconv.Unquote does (the kubelet
    /// writes each annotation as `KEY=%q`). Nothing when the key is missing; nothing with @p error set when
    /// its value is not a well-formed Go string literal.
    static std::optional<std::string> unquotedAnnotation(
        std::string_view contents, std::string_view key, std::string *error);
    /// Go's strconv.Unquote for a double-quoted literal (quotes included): \\ \" \a \b \f \n \r \t \v,
    /// \xNN, octal \NNN (up to \377), \uNNNN and \UNNNNNNNN (as UTF-8; no surrogates, nothing above
    /// U+10FFFF). No raw line break or unescaped quote inside. False with @p error saying what and where.
    static bool goUnquote(std::string_view quoted, std::string &out, std::string &error);

private:
    std::string m_path;
};

} // namespace podtap::agent
