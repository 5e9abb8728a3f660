// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "command_line.h"

namespace podtap::agent {

/// @brief `receive`: the VXLAN interface a capture runs on, optionally fenced to one sender with nftables.
class Receiver
{
public:
    explicit Receiver(AgentOptions options);
    /// Creates the interface, reports ready, waits for a signal (or the parent's death) and removes it.
    int run();

private:
    bool installSourceFilter();
    void removeSourceFilter();

    AgentOptions m_options;
    std::string m_table;
    bool m_tableInstalled = false;
};

} // namespace podtap::agent
