// SPDX-License-Identifier: Apache-2.0
#include "heartbeat_file.h"

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
